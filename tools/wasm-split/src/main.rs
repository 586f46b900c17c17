//! The browser bundle's two build steps around wasm-bindgen, run by the Makefile.
//!
//! `wasm-split split <frontend.wasm> <pkg dir> <main.wasm>` cuts the compiled bundle at the split
//! points `#[lazy_route]` declares: the main module goes to `<main.wasm>` for wasm-bindgen, each
//! split point's code to `<pkg dir>/split_<name>.wasm`, code several split points share to
//! `chunk_<n>.wasm`, the loader the main module imports to `__wasm_split.js`, and what each split
//! point needs to `__wasm_split_manifest.json` (the server reads it to name those chunks in the
//! pages that use them, so the browser fetches them early).
//!
//! `wasm-split hash <site dir>` then names the files in `<site dir>/pkg` after their content
//! (`atrium.<hash>.js`, `split_<name>.<hash>.wasm`, …), rewrites the names the files and the
//! manifest use for each other, and writes `<site dir>/hash.txt`, which the server reads.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::Path;
use std::process::ExitCode;

use sha2::{Digest, Sha256};

/// The bundle's name (wasm-bindgen's `--out-name`), as `app::OUTPUT_NAME` says.
const OUTPUT_NAME: &str = "atrium";
/// The loader's file name before hashing; the main module imports it under this name.
const LOADER: &str = "__wasm_split.js";
/// Which chunks each split point needs, by file stem.
const MANIFEST: &str = "__wasm_split_manifest.json";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["split", input, pkg, main_out] => split(Path::new(input), Path::new(pkg), Path::new(main_out)),
        ["hash", site] => hash(Path::new(site)),
        _ => Err("usage: wasm-split split <frontend.wasm> <pkg dir> <main.wasm>\n       wasm-split hash <site dir>".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wasm-split: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn split(input: &Path, pkg: &Path, main_out: &Path) -> Result<()> {
    let wasm = fs::read(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let main_module = format!("./{OUTPUT_NAME}.js");
    let link_name = format!("./{LOADER}");
    let mut options = wasm_split_cli_support::Options::new(&wasm);
    options.output_dir = pkg;
    options.main_out_path = main_out;
    options.main_module = &main_module;
    options.link_name = &link_name;
    let split = wasm_split_cli_support::transform(options)
        .map_err(|e| format!("splitting {}: {e:?}", input.display()))?;
    // Sorted, so that the same bundle gives the same manifest.
    let manifest: BTreeMap<_, _> = split.prefetch_map.into_iter().collect();
    fs::write(pkg.join(MANIFEST), serde_json::to_string_pretty(&manifest)?)?;
    Ok(())
}

fn hash(site: &Path) -> Result<()> {
    let pkg = site.join("pkg");
    let read = |name: &str| fs::read(pkg.join(name)).map_err(|e| format!("{name}: {e}"));
    let text = |name: &str| -> Result<String> { Ok(String::from_utf8(read(name)?)?) };
    let mut hashes = vec![];

    // The chunks are named after their content first: the loader and the manifest name them.
    let mut chunks = HashMap::new();
    for entry in fs::read_dir(&pkg)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".wasm")
            && (stem.starts_with("split_") || stem.starts_with("chunk_"))
        {
            let hashed = format!("{stem}.{}", digest(&[&read(&name)?]));
            fs::rename(pkg.join(&name), pkg.join(format!("{hashed}.wasm")))?;
            chunks.insert(stem.to_string(), hashed);
        }
    }

    // The main module's script and the loader import each other, so neither can be named after
    // the other's final name: both are named after their content with every chunk's name in
    // place, which changes whenever any of them changes.
    let script_name = format!("{OUTPUT_NAME}.js");
    let mut script = text(&script_name)?;
    let has_loader = pkg.join(LOADER).is_file();
    let mut loader = if has_loader {
        text(LOADER)?
    } else {
        String::new()
    };
    for (stem, hashed) in &chunks {
        loader = replace_all(
            &loader,
            &format!("\"./{stem}.wasm\""),
            &format!("\"./{hashed}.wasm\""),
        )?;
    }
    let bundle = digest(&[script.as_bytes(), loader.as_bytes()]);
    if has_loader {
        let hashed_loader = format!("__wasm_split.{bundle}.js");
        script = replace_all(
            &script,
            &format!("from \"./{LOADER}\""),
            &format!("from \"./{hashed_loader}\""),
        )?;
        loader = replace_all(
            &loader,
            &format!("from \"./{script_name}\""),
            &format!("from \"./{OUTPUT_NAME}.{bundle}.js\""),
        )?;
        fs::write(pkg.join(&hashed_loader), loader)?;
        fs::remove_file(pkg.join(LOADER))?;
        hashes.push(("split", bundle.clone()));

        let mut manifest: BTreeMap<String, Vec<String>> = serde_json::from_slice(&read(MANIFEST)?)?;
        for stems in manifest.values_mut() {
            for stem in stems {
                *stem = chunks
                    .get(stem.as_str())
                    .ok_or_else(|| format!("{MANIFEST} names a missing chunk {stem}"))?
                    .clone();
            }
        }
        fs::write(pkg.join(MANIFEST), serde_json::to_string_pretty(&manifest)?)?;
    }
    fs::write(pkg.join(format!("{OUTPUT_NAME}.{bundle}.js")), script)?;
    fs::remove_file(pkg.join(&script_name))?;
    hashes.push(("js", bundle));

    for (kind, name) in [
        ("wasm", format!("{OUTPUT_NAME}_bg.wasm")),
        ("css", format!("{OUTPUT_NAME}.css")),
    ] {
        let hash = digest(&[&read(&name)?]);
        fs::rename(
            pkg.join(&name),
            pkg.join(format!("{OUTPUT_NAME}.{hash}.{kind}")),
        )?;
        hashes.push((kind, hash));
    }

    let list: String = hashes
        .iter()
        .map(|(kind, hash)| format!("{kind}: {hash}\n"))
        .collect();
    let tmp = site.join("hash.txt.new");
    fs::write(&tmp, list)?;
    fs::rename(tmp, site.join("hash.txt"))?;
    Ok(())
}

/// The first 16 hexadecimal digits of the SHA-256 of the parts, each preceded by its length.
fn digest(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `text` with every `from` replaced by `to`; an error if there is none, as a name the bundle's
/// files use for each other must not go stale unnoticed.
fn replace_all(text: &str, from: &str, to: &str) -> Result<String> {
    if !text.contains(from) {
        return Err(format!("expected {from} in the bundle").into());
    }
    Ok(text.replace(from, to))
}
