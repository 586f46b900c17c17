//! Files in the browser: saving a text as a download (a Blob URL on a temporary link) and reading
//! the text of a file chosen in an `<input type=file>`. Both need the browser; on the server they do
//! nothing.

/// Offers `text` as a download named `file_name`.
pub fn download_text(_file_name: &str, _text: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::{JsCast, JsValue};
        let parts = web_sys::js_sys::Array::of1(&JsValue::from_str(_text));
        let Ok(blob) = web_sys::Blob::new_with_str_sequence(&parts) else {
            return;
        };
        let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
            return;
        };
        let link = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.create_element("a").ok())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(link) = link {
            let _ = link.set_attribute("href", &url);
            let _ = link.set_attribute("download", _file_name);
            link.click();
        }
        // The browser has started the download from the URL by then; free the Blob afterwards.
        gloo_timers::callback::Timeout::new(10_000, move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        })
        .forget();
    }
}

/// A file a person chose to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedFile {
    pub name: String,
    pub text: String,
}

/// Reads the first file chosen in the `<input type=file>` that `_ev` (its change event) came from
/// and hands its text to `on_loaded`, or `Err` with a reason when it is larger than `max_bytes` or
/// cannot be read. The input is cleared, so that choosing the same file again loads it again.
pub fn read_chosen_file(
    _ev: &leptos::ev::Event,
    _max_bytes: usize,
    _on_loaded: impl FnOnce(Result<LoadedFile, String>) + 'static,
) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let input = leptos::prelude::event_target::<web_sys::HtmlInputElement>(_ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        input.set_value("");
        let name = file.name();
        if file.size() > _max_bytes as f64 {
            return _on_loaded(Err(format!(
                "{name} is larger than {} KB.",
                _max_bytes / 1024
            )));
        }
        let Ok(reader) = web_sys::FileReader::new() else {
            return _on_loaded(Err("This browser cannot read files.".into()));
        };
        let done = reader.clone();
        let onloadend = Closure::once_into_js(move || {
            let text = done.result().ok().and_then(|v| v.as_string());
            _on_loaded(match text {
                Some(text) => Ok(LoadedFile { name, text }),
                None => Err(format!("{name} could not be read as text.")),
            });
        });
        reader.set_onloadend(Some(onloadend.unchecked_ref()));
        if reader.read_as_text(&file).is_err() {
            reader.set_onloadend(None);
        }
    }
}
