//! Audit Log: every change, newest first, filterable by actor, object type and time, exportable as CSV.

use leptos::prelude::*;

use crate::api;
use crate::components::{ErrorNote, Loading};
use crate::domain::AppError;
use crate::domain::audit::{AuditEntry, AuditObject, AuditQuery, changes};
use crate::domain::timefmt::{date_time, parse_date};
use crate::pages::settings::{AdminsOnly, Section, SectionHeader, SessionCtx};

/// The filter form's raw values.
#[derive(Clone, Default, PartialEq)]
struct Filters {
    actor: String,
    object_type: String,
    from: String,
    to: String,
}

impl Filters {
    fn query(&self) -> Result<AuditQuery, AppError> {
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        Ok(AuditQuery {
            actor: opt(&self.actor),
            object_type: opt(&self.object_type),
            from_ms: opt(&self.from)
                .map(|d| parse_date("from", &d))
                .transpose()?,
            to_ms: opt(&self.to)
                .map(|d| parse_date("to", &d).map(|ms| ms + 86_400_000))
                .transpose()?,
            before: None,
            limit: Some(100),
        })
    }

    fn export_href(&self) -> String {
        let enc = |s: &str| {
            s.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        };
        format!(
            "/settings/audit-log/export.csv?actor={}&object_type={}&from={}&to={}",
            enc(&self.actor),
            enc(&self.object_type),
            enc(&self.from),
            enc(&self.to)
        )
    }
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let ctx = expect_context::<SessionCtx>();
    if !ctx.is_admin() {
        return view! { <SectionHeader section=Section::AuditLog/><AdminsOnly/> }.into_any();
    }
    let filters = RwSignal::new(Filters::default());
    let draft = RwSignal::new(Filters::default());
    let extra = RwSignal::new(Vec::<AuditEntry>::new());
    let more_error = RwSignal::new(None::<AppError>);
    let page = Resource::new_blocking(
        move || filters.get(),
        |f| async move {
            match f.query() {
                Ok(q) => api::audit::list(q).await,
                Err(e) => Err(e),
            }
        },
    );
    let load_more = move |last: AuditEntry| {
        let f = filters.get_untracked();
        leptos::task::spawn_local(async move {
            let q = match f.query() {
                Ok(q) => AuditQuery {
                    before: Some((last.at_ms, last.id)),
                    ..q
                },
                Err(e) => return more_error.set(Some(e)),
            };
            match api::audit::list(q).await {
                Ok(rows) => extra.update(|e| e.extend(rows)),
                Err(e) => more_error.set(Some(e)),
            }
        });
    };
    let apply = move || {
        extra.set(vec![]);
        more_error.set(None);
        filters.set(draft.get_untracked());
    };
    let bind = move |get: fn(&Filters) -> String, set: fn(&mut Filters, String)| {
        (
            move || draft.with(get),
            move |ev| draft.update(|d| set(d, event_target_value(&ev))),
        )
    };
    let (actor_v, actor_set) = bind(|f| f.actor.clone(), |f, v| f.actor = v);
    let (type_v, type_set) = bind(|f| f.object_type.clone(), |f, v| f.object_type = v);
    let (from_v, from_set) = bind(|f| f.from.clone(), |f, v| f.from = v);
    let (to_v, to_set) = bind(|f| f.to.clone(), |f, v| f.to = v);

    view! {
        <SectionHeader section=Section::AuditLog subtitle="Every change made in this workspace, newest first."/>
        <form class="filters card" id="audit-filters" on:submit=move |ev| { ev.prevent_default(); apply(); }>
            <label>"Actor"<input id="filter-actor" placeholder="Name or e-mail" prop:value=actor_v on:input=actor_set/></label>
            <label>"Object type"
                <select id="filter-type" prop:value=type_v on:change=type_set>
                    <option value="">"All"</option>
                    {AuditObject::ALL.iter().map(|t| view! { <option value=t.as_str()>{t.label()}</option> }).collect_view()}
                </select>
            </label>
            <label>"From"<input id="filter-from" type="date" prop:value=from_v on:input=from_set/></label>
            <label>"To"<input id="filter-to" type="date" prop:value=to_v on:input=to_set/></label>
            <div class="filter-actions">
                <button type="submit" class="button primary" id="apply-filters">"Apply"</button>
                <a class="button" id="export-csv" href=move || filters.with(|f| f.export_href()) download="audit-log.csv">"Export CSV"</a>
            </div>
        </form>
        <Transition fallback=|| view! { <Loading/> }>
            {move || page.get().map(|r| match r {
                Ok(rows) if rows.is_empty() => view! {
                    <div class="empty-state" id="audit-empty"><h2>"No entries"</h2><p>"Nothing matches these filters."</p></div>
                }.into_any(),
                Ok(rows) => {
                    let full_page = rows.len() >= 100;
                    let rows = StoredValue::new(rows);
                    let all = move || rows.get_value().into_iter().chain(extra.get()).collect::<Vec<_>>();
                    view! {
                        <div class="table-wrap card">
                            <table class="table" id="audit-table">
                                <thead><tr><th>"Time"</th><th>"Actor"</th><th>"Action"</th><th>"Object"</th><th>"Change"</th></tr></thead>
                                <tbody>
                                    {move || all().into_iter().map(|e| view! {
                                        <tr>
                                            <td class="nowrap">{date_time(e.at_ms)}</td>
                                            <td>{e.actor_name.clone()}<span class="muted small">{format!(" · {}", e.channel)}</span></td>
                                            <td><code>{e.action.clone()}</code></td>
                                            <td>{e.object_type.clone()}": "{e.object_name.clone()}</td>
                                            <td class="summary">
                                                <ul class="changes">
                                                    {changes(&e.summary).into_iter().map(|c| view! {
                                                        <li>
                                                            <span class="change-key">{c.key}": "</span>
                                                            {c.before.map(|b| view! { <span class="before">{b}</span><span class="arrow">" → "</span> })}
                                                            <span class="after">{c.after.unwrap_or_else(|| "—".into())}</span>
                                                        </li>
                                                    }).collect_view()}
                                                </ul>
                                            </td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <ErrorNote error=more_error/>
                            {move || (full_page && (extra.with(|x| x.len() % 100 == 0))).then(|| {
                                let last = all().last().cloned();
                                view! { <button class="button ghost" id="audit-more" on:click=move |_| if let Some(l) = last.clone() { load_more(l) }>"Load more"</button> }
                            })}
                        </div>
                    }.into_any()
                }
                Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
            })}
        </Transition>
    }
    .into_any()
}
