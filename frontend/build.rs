//! Links the browser bundle with its relocations kept (`--emit-relocs`): the split step
//! (`tools/wasm-split`) reads them to cut the module into the main module and the lazily loaded
//! chunks.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_FAMILY").as_deref() == Ok("wasm") {
        println!("cargo::rustc-link-arg-cdylib=--emit-relocs");
    }
    println!("cargo::rerun-if-changed=build.rs");
}
