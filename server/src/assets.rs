//! The files of the site folder (the browser bundle, the stylesheet, the favicon), served from disk.
//! The build names the bundle's files after their content and lists those names in the site's
//! `hash.txt`, which Leptos reads to write them into every page; such files never change, so they
//! are cached for a year as immutable, while other files are revalidated on every use. The build
//! also writes brotli (`.br`) and gzip (`.gz`) copies beside each file, and the copy the request's
//! `Accept-Encoding` prefers is sent. Pages themselves are rendered fresh and never stored (the
//! shell in `app` says so).

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use leptos::prelude::LeptosOptions;
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// The file, in the site folder, that names the hashed bundle (`js: …`, `wasm: …`, `css: …`).
pub const HASH_FILE: &str = "hash.txt";

/// For files whose name carries their content hash.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// For the other files: a cache may keep them but must ask again before each use.
pub const REVALIDATE: &str = "no-cache";

/// Leptos' options with hashed file names turned on when the site folder has a hash file. Leptos
/// looks for the hash file beside the running binary unless its name is absolute, so it is given
/// the absolute path in the site folder: any binary can then serve any site folder.
pub fn with_hashed_names(mut options: LeptosOptions) -> LeptosOptions {
    let root = PathBuf::from(options.site_root.as_ref());
    let hash_file = std::path::absolute(&root).unwrap_or(root).join(HASH_FILE);
    options.hash_files = hash_file.is_file();
    options.hash_file = hash_file.to_string_lossy().as_ref().into();
    options
}

/// Whether a site folder holds a browser bundle, hashed or not.
pub fn has_bundle(site_root: &Path) -> bool {
    site_root.join(HASH_FILE).is_file()
        || site_root
            .join("pkg")
            .join(format!("{}.js", app::OUTPUT_NAME))
            .is_file()
}

/// Answers a GET or HEAD for a file of the site folder; any other request is handed back unchanged
/// (so that the caller can render the 404 page).
pub async fn serve(options: &LeptosOptions, req: Request<Body>) -> Result<Response, Request<Body>> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return Err(req);
    }
    let (parts, body) = req.into_parts();
    let probe = Request::from_parts(parts.clone(), Body::empty());
    let files = ServeDir::new(options.site_root.as_ref())
        .append_index_html_on_directories(false)
        .precompressed_br()
        .precompressed_gzip();
    let mut res = match files.oneshot(probe).await {
        Ok(res) if res.status() != StatusCode::NOT_FOUND => res.into_response(),
        _ => return Err(Request::from_parts(parts, body)),
    };
    let cache = if is_hashed(options, parts.uri.path()) {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    Ok(res)
}

/// Whether a path names a file of the bundle by its content: `/<pkg>/<name>.<hash>.<ext>`, the hash
/// being at least 16 characters of URL-safe base64 (the Makefile writes hexadecimal digits,
/// cargo-leptos base64 of an MD5).
pub fn is_hashed(options: &LeptosOptions, path: &str) -> bool {
    let Some(name) = path
        .strip_prefix('/')
        .and_then(|p| p.strip_prefix(options.site_pkg_dir.as_ref()))
        .and_then(|p| p.strip_prefix('/'))
    else {
        return false;
    };
    if name.contains('/') {
        return false;
    }
    let mut parts = name.rsplit('.');
    let (Some(ext), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !ext.is_empty()
        && !stem.is_empty()
        && hash.len() >= 16
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && hash.bytes().any(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> LeptosOptions {
        LeptosOptions::builder()
            .output_name("atrium")
            .site_pkg_dir("pkg")
            .build()
    }

    #[test]
    fn only_content_named_bundle_files_are_immutable() {
        let o = options();
        assert!(is_hashed(&o, "/pkg/atrium.0123456789abcdef.wasm"));
        assert!(is_hashed(&o, "/pkg/atrium.0123456789abcdef.css"));
        assert!(is_hashed(&o, "/pkg/atrium.Xk3_-9aQ0rT2vB7nLmZp1w.js"));
        // The lazily loaded chunks and their loader (tools/wasm-split).
        assert!(is_hashed(&o, "/pkg/__wasm_split.0123456789abcdef.js"));
        assert!(is_hashed(&o, "/pkg/chunk_7.0123456789abcdef.wasm"));
        assert!(is_hashed(
            &o,
            "/pkg/split___users_route_view_811677187393.0123456789abcdef.wasm"
        ));
        assert!(!is_hashed(&o, "/pkg/__wasm_split_manifest.json"));
        assert!(!is_hashed(
            &o,
            "/pkg/split___users_route_view_811677187393.wasm"
        ));
        assert!(!is_hashed(
            &o,
            "/pkg/__wasm_split.______________________.js"
        ));
        assert!(!is_hashed(&o, "/pkg/atrium.js"));
        assert!(!is_hashed(&o, "/pkg/atrium_bg.wasm"));
        assert!(!is_hashed(&o, "/pkg/atrium.0123.js"));
        assert!(!is_hashed(&o, "/pkg/atrium.not-a-hash-at-all!.js"));
        assert!(!is_hashed(&o, "/favicon.0123456789abcdef.svg"));
        assert!(!is_hashed(&o, "/pkg/sub/atrium.0123456789abcdef.js"));
    }
}
