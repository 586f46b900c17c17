//! Configuration → Web App Cloud Access: your storage credentials in this workspace as a table
//! (secrets only masked), added and edited in a dialog whose inputs show their own errors, deleted
//! after a confirmation, and a "Test access" box that turns an `s3://bucket/path` into a presigned
//! link to open.

use leptos::prelude::*;

use crate::api;
use crate::components::confirm::ConfirmDialog;
use crate::components::copy_box::CopyBox;
use crate::components::dialog::Dialog;
use crate::components::icons::{PencilIcon, TrashIcon};
use crate::components::{ErrorNote, Loading};
use crate::domain::AppError;
use crate::domain::cloud_access::{
    CloudAccess, CloudAccessForm, DEFAULT_EXPIRY_SECS, DEFAULT_REGION, field_errors,
};

/// The card's shared state: a refresh trigger and the open dialogs. `editing` is `Some(None)` to
/// add, `Some(Some(entry))` to edit.
#[derive(Clone, Copy)]
struct Ctx {
    version: RwSignal<u32>,
    editing: RwSignal<Option<Option<CloudAccess>>>,
    deleting: RwSignal<Option<CloudAccess>>,
}

impl Ctx {
    fn refresh(&self) {
        self.version.update(|v| *v += 1);
    }
}

#[component]
pub fn CloudAccessCard() -> impl IntoView {
    let ctx = Ctx {
        version: RwSignal::new(0),
        editing: RwSignal::new(None),
        deleting: RwSignal::new(None),
    };
    provide_context(ctx);
    let entries = Resource::new_blocking(move || ctx.version.get(), |_| api::cloud_access::list());
    view! {
        <section class="card" id="cloud-access">
            <div class="card-title-row">
                <div>
                    <h2>"Web App Cloud Access"</h2>
                    <p class="muted">"Storage credentials that let the console show debug samples and artifacts from your buckets. They are yours, in this workspace only; secrets are encrypted on the server and never shown again."</p>
                </div>
                <button class="button primary nowrap" id="add-cloud-access" on:click=move |_| ctx.editing.set(Some(None))>"+ Add"</button>
            </div>
            <Transition fallback=|| view! { <Loading/> }>
                {move || entries.get().map(|r| match r {
                    Ok(list) if list.is_empty() => view! {
                        <div class="empty-state compact" id="no-cloud-access">
                            <p>"No storage credentials yet."</p>
                            <p class="muted">"Add a bucket's access key and secret (AWS S3, or an S3-compatible server such as MinIO) to open its files from the console."</p>
                        </div>
                    }.into_any(),
                    Ok(list) => {
                        let first_bucket = list[0].bucket.clone();
                        view! {
                            <div class="table-wrap">
                                <table class="table" id="cloud-access-table">
                                    <thead><tr><th>"Bucket"</th><th>"Key"</th><th>"Secret / SAS"</th><th>"Region"</th><th>"Host"</th><th></th></tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|e| view! { <CloudAccessRow entry=e/> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <TestAccess example_bucket=first_bucket/>
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
                })}
            </Transition>
        </section>
        {move || ctx.editing.get().map(|entry| view! { <CloudAccessDialog entry=entry/> })}
        <DeleteCloudAccessDialog/>
    }
}

#[component]
fn CloudAccessRow(entry: CloudAccess) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let stored = StoredValue::new(entry.clone());
    view! {
        <tr data-bucket=entry.bucket.clone()>
            <td><code class="cloud-bucket">{entry.bucket.clone()}</code></td>
            <td><code class="cloud-key">{entry.key.clone()}</code></td>
            <td><code class="secret-mask">{entry.secret_masked.clone()}</code></td>
            <td class="nowrap">
                {if entry.region.is_empty() {
                    view! { <code class="muted" title="Used when no region is set">{DEFAULT_REGION}</code> }.into_any()
                } else {
                    view! { <code>{entry.region.clone()}</code> }.into_any()
                }}
            </td>
            <td class="cloud-host">
                {if entry.host.is_empty() {
                    view! { <span class="badge">"AWS S3"</span> }.into_any()
                } else {
                    view! { <code>{entry.host.clone()}</code> }.into_any()
                }}
            </td>
            <td class="row-buttons">
                <button class="icon-button edit" aria-label=format!("Edit {}", entry.bucket) title="Edit"
                    on:click=move |_| ctx.editing.set(Some(Some(stored.get_value())))><PencilIcon/></button>
                <button class="icon-button trash delete" aria-label=format!("Delete {}", entry.bucket) title="Delete"
                    on:click=move |_| ctx.deleting.set(Some(stored.get_value()))><TrashIcon/></button>
            </td>
        </tr>
    }
}

/// The message of the first error about `field`.
fn error_for(errors: RwSignal<Vec<AppError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || {
        errors.with(|es| {
            es.iter()
                .find(|e| e.field() == Some(field))
                .map(AppError::user_message)
        })
    })
}

/// A labelled input with its hint and its own error line.
#[component]
fn FormField(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] secret: bool,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described = error_id.clone();
    view! {
        <label for=id>{label}</label>
        <input
            id=id
            type=if secret { "password" } else { "text" }
            autocomplete=if secret { "new-password" } else { "off" }
            spellcheck="false"
            placeholder=placeholder
            aria-invalid=move || error.with(Option::is_some).to_string()
            aria-describedby=described
            prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev))
        />
        {hint.map(|h| view! { <p class="field-hint">{h}</p> })}
        {move || error.get().map(|m| view! { <p class="field-error" id=error_id.clone() role="alert">{m}</p> })}
    }
}

#[component]
fn CloudAccessDialog(entry: Option<CloudAccess>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let save = ServerAction::<api::cloud_access::Save>::new();
    let editing = entry.is_some();
    let id = StoredValue::new(entry.as_ref().map(|e| e.id.clone()).unwrap_or_default());
    let from = |f: fn(&CloudAccess) -> &String| {
        RwSignal::new(entry.as_ref().map(|e| f(e).clone()).unwrap_or_default())
    };
    let bucket = from(|e| &e.bucket);
    let key = from(|e| &e.key);
    let region = from(|e| &e.region);
    let host = from(|e| &e.host);
    let secret = RwSignal::new(String::new());
    let masked = StoredValue::new(entry.map(|e| e.secret_masked).unwrap_or_default());
    let errors = RwSignal::new(Vec::<AppError>::new());
    let general = RwSignal::new(None::<AppError>);
    let close = Callback::new(move |_| ctx.editing.set(None));

    Effect::new(move |_| match save.value().get() {
        Some(Ok(_)) => {
            secret.set(String::new());
            ctx.editing.set(None);
            ctx.refresh();
        }
        Some(Err(e)) if e.field().is_some() => errors.set(vec![e]),
        Some(Err(e)) => general.set(Some(e)),
        None => {}
    });
    let submit = move || {
        let form = CloudAccessForm {
            id: id.get_value(),
            bucket: bucket.get_untracked(),
            key: key.get_untracked(),
            secret: secret.get_untracked(),
            region: region.get_untracked(),
            host: host.get_untracked(),
        };
        let found = field_errors(&form);
        general.set(None);
        if !found.is_empty() {
            return errors.set(found);
        }
        errors.set(vec![]);
        save.dispatch(api::cloud_access::Save { form });
    };
    let title = if editing {
        "Edit cloud access"
    } else {
        "Add cloud access"
    };
    let secret_hint = if editing {
        "Leave empty to keep the stored secret."
    } else {
        "Stored encrypted; only its last characters are ever shown."
    };
    view! {
        <Dialog open=Signal::derive(|| true) title=title on_close=close>
            <form class="dialog-body form cloud-form" id="cloud-access-form" novalidate
                on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <FormField id="cloud-bucket" label="Bucket" value=bucket error=error_for(errors, "bucket")
                    placeholder="my-bucket"/>
                <FormField id="cloud-key" label="Key" value=key error=error_for(errors, "key")
                    placeholder="Access key id, e.g. AKIA…"/>
                <FormField id="cloud-secret" label="Secret / SAS" value=secret error=error_for(errors, "secret")
                    placeholder=if editing { "Unchanged" } else { "Secret access key or SAS token" }
                    hint=secret_hint secret=true/>
                {editing.then(|| view! { <p class="field-hint">"Stored: "<code class="secret-mask" id="cloud-secret-current">{masked.get_value()}</code></p> })}
                <div class="field-pair">
                    <div class="form">
                        <FormField id="cloud-region" label="Region" value=region error=error_for(errors, "region")
                            placeholder=DEFAULT_REGION/>
                    </div>
                    <div class="form">
                        <FormField id="cloud-host" label="Host (optional)" value=host error=error_for(errors, "host")
                            placeholder="https://minio.example.com:9000"/>
                    </div>
                </div>
                <p class="field-hint">"Leave the host empty for AWS S3. With a host (MinIO and other S3-compatible servers), links use path-style URLs."</p>
                <ErrorNote error=general/>
                <footer class="dialog-footer">
                    <button type="button" class="button ghost" on:click=move |_| close.run(())>"Cancel"</button>
                    <button type="submit" class="button primary" id="save-cloud-access" disabled=move || save.pending().get()>
                        {if editing { "Save" } else { "Add" }}
                    </button>
                </footer>
            </form>
        </Dialog>
    }
}

#[component]
fn DeleteCloudAccessDialog() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let delete = ServerAction::<api::cloud_access::Delete>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            ctx.deleting.set(None);
            ctx.refresh();
        }
    });
    let message = Signal::derive(move || {
        let bucket = ctx
            .deleting
            .with(|d| d.as_ref().map(|e| e.bucket.clone()).unwrap_or_default());
        let err = delete
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| format!("\n\n{}", e.user_message()))
            .unwrap_or_default();
        format!(
            "Delete your access settings for bucket {bucket}? The console can no longer open files from it for you, and the stored secret is erased.{err}"
        )
    });
    view! {
        <ConfirmDialog
            open=Signal::derive(move || ctx.deleting.with(Option::is_some))
            title="Delete cloud access"
            message=message
            confirm_label="Delete"
            pending=delete.pending()
            on_confirm=Callback::new(move |_| {
                if let Some(e) = ctx.deleting.get_untracked() {
                    delete.dispatch(api::cloud_access::Delete { id: e.id });
                }
            })
            on_cancel=Callback::new(move |_| ctx.deleting.set(None))
        />
    }
}

#[component]
fn TestAccess(example_bucket: String) -> impl IntoView {
    let presign = ServerAction::<api::cloud_access::Presign>::new();
    let path = RwSignal::new(String::new());
    let placeholder = format!("s3://{example_bucket}/path/to/object");
    let result = Signal::derive(move || presign.value().get());
    let link = Signal::derive(move || {
        result
            .get()
            .and_then(Result::ok)
            .map(|p| p.url)
            .unwrap_or_default()
    });
    view! {
        <div class="pref-block" id="cloud-test">
            <h3>"Test access"</h3>
            <p class="toggle-help">{format!(
                "Enter an object's path to get a link that opens it for {} minutes, signed with your settings for its bucket.",
                DEFAULT_EXPIRY_SECS / 60
            )}</p>
            <form class="form-row cloud-test-form" on:submit=move |ev| {
                ev.prevent_default();
                presign.dispatch(api::cloud_access::Presign { path: path.get_untracked() });
            }>
                <input id="cloud-test-path" aria-label="Object path" placeholder=placeholder spellcheck="false"
                    autocomplete="off" prop:value=move || path.get() on:input=move |ev| path.set(event_target_value(&ev))/>
                <button type="submit" class="button" id="cloud-test-go" disabled=move || presign.pending().get()>"Get link"</button>
            </form>
            {move || match result.get() {
                Some(Ok(p)) => view! {
                    <div class="cloud-link" id="cloud-test-result">
                        <p>
                            <a id="cloud-test-link" href=p.url.clone() target="_blank" rel="noopener noreferrer">
                                {format!("Open {}", p.key)}
                            </a>
                            <span class="muted">{format!(" · from {} · expires {}", p.bucket, crate::domain::timefmt::date_time(p.expires_ms))}</span>
                        </p>
                        <CopyBox id="cloud-test-url" text=link label="Copy link"/>
                    </div>
                }.into_any(),
                Some(Err(e)) => view! { <p class="field-error" id="cloud-test-error" role="alert">{e.user_message()}</p> }.into_any(),
                None => ().into_any(),
            }}
        </div>
    }
}
