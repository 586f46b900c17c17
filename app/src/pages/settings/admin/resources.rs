//! Settings → Resource Configuration: the canvas of pools (top) and profiles (below) with the links
//! between them, live use, resource management on or off, and the editor — add, edit and delete
//! pools and profiles, drag a profile's link handle onto a pool (or pick one with the keyboard) to
//! connect them, reorder links, execution priorities and policy priorities, then Validate, Save,
//! Provision, Reset or Exit. Settings → Resource Policies: each user group's reservation, limit
//! and queues.

use leptos::prelude::*;

use crate::api;
use crate::api::resources::{LiveQueues, ResourcesView, Usage};
use crate::components::confirm::ConfirmDialog;
use crate::components::dialog::Dialog;
use crate::components::icons::{PencilIcon, TrashIcon};
use crate::components::toggle::Toggle;
use crate::components::{ErrorNote, Loading};
use crate::domain::AppError;
use crate::domain::resources::allocator::allocate;
use crate::domain::resources::{
    Amount, Configuration, Finding, OrderedList, Policy, PolicyDraft, Pool, Profile,
};
use crate::pages::settings::{AdminsOnly, Section, SectionHeader, SessionCtx};

/// The canvas's geometry (CSS pixels): card size, the gap between cards, the rows' distance.
const CARD_W: f64 = 232.0;
const POOL_H: f64 = 176.0;
const GAP: f64 = 28.0;
const ROW_GAP: f64 = 120.0;

fn card_x(i: usize) -> f64 {
    i as f64 * (CARD_W + GAP)
}

/// What the page edits: the saved configuration and the version it was read at.
#[derive(Clone, Copy)]
struct Editor {
    draft: RwSignal<Configuration>,
    version: RwSignal<i64>,
    /// Whether the draft differs from what was saved.
    dirty: RwSignal<bool>,
    /// A line for screen readers, said after each change.
    announce: RwSignal<String>,
}

impl Editor {
    fn change(&self, what: impl FnOnce(&mut Configuration), said: String) {
        self.draft.update(what);
        self.dirty.set(true);
        self.announce.set(said);
    }
}

fn use_of(usage: &Usage, pool: &str) -> (Amount, Amount) {
    usage
        .pools
        .iter()
        .find(|p| p.id == pool)
        .map(|p| (p.in_use, p.capacity))
        .unwrap_or_default()
}

#[component]
pub fn ResourcesPage() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    if !session.is_admin() {
        return view! { <SectionHeader section=Section::Resources/><AdminsOnly/> }.into_any();
    }
    let reload = RwSignal::new(0u32);
    let data = Resource::new_blocking(move || reload.get(), |_| api::resources::overview());
    let editing = RwSignal::new(false);
    let editor = Editor {
        draft: RwSignal::new(Configuration::default()),
        version: RwSignal::new(0),
        dirty: RwSignal::new(false),
        announce: RwSignal::new(String::new()),
    };
    let error = RwSignal::new(None::<AppError>);
    let notice = RwSignal::new(None::<String>);
    let findings = RwSignal::new(None::<Vec<Finding>>);
    let busy = RwSignal::new(false);
    let confirm_provision = RwSignal::new(false);
    let confirm_reset = RwSignal::new(false);
    let card = RwSignal::new(None::<CardEdit>);
    let what_if = RwSignal::new(None::<WhatIf>);
    // Live use from the server's events; the page's own read until the first one arrives.
    let live = RwSignal::new(None::<(bool, Usage)>);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            use wasm_bindgen::closure::Closure;
            let Ok(source) = web_sys::EventSource::new("/settings/resources/usage.events") else {
                return;
            };
            let on_usage =
                Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                    if let Some(text) = ev.data().as_string()
                        && let Ok(v) = serde_json::from_str::<(bool, Usage)>(&text)
                    {
                        live.set(Some(v));
                    }
                });
            let _ =
                source.add_event_listener_with_callback("usage", on_usage.as_ref().unchecked_ref());
            on_usage.forget();
            let source = StoredValue::new_local(source);
            on_cleanup(move || source.with_value(|s| s.close()));
        }
    });
    let waiting = Resource::new(
        move || (reload.get(), live.get()),
        |_| api::resources::waiting(),
    );
    let view_data = Signal::derive(move || {
        data.with(|d| d.as_ref().and_then(|r| r.as_ref().ok()).cloned())
            .map(|mut v: ResourcesView| {
                if let Some((enabled, usage)) = live.get() {
                    v.enabled = enabled;
                    v.usage = usage;
                }
                v
            })
    });

    let open_editor = move |_| {
        if let Some(v) = view_data.get_untracked() {
            editor.draft.set(v.saved.clone());
            editor.version.set(v.saved_version);
            editor.dirty.set(false);
            findings.set(None);
            notice.set(None);
            error.set(None);
            editing.set(true);
        }
    };
    let run = move |what: &'static str| {
        busy.set(true);
        error.set(None);
        notice.set(None);
        let draft = editor.draft.get_untracked();
        let version = editor.version.get_untracked();
        leptos::task::spawn_local(async move {
            let outcome: Result<String, AppError> = match what {
                "validate" => api::resources::validate(draft).await.map(|v| {
                    let n = v.findings.len();
                    findings.set(Some(v.findings));
                    if n == 0 {
                        "Validate found nothing to fix.".to_string()
                    } else {
                        format!(
                            "Validate found {n} thing{} to look at.",
                            if n == 1 { "" } else { "s" }
                        )
                    }
                }),
                "save" => api::resources::save(draft, version).await.map(|v| {
                    editor.version.set(v);
                    editor.dirty.set(false);
                    "Saved. Provision to apply it.".to_string()
                }),
                "provision" => {
                    let saved = if editor.dirty.get_untracked() {
                        api::resources::save(draft, version).await
                    } else {
                        Ok(version)
                    };
                    match saved {
                        Ok(v) => {
                            editor.version.set(v);
                            editor.dirty.set(false);
                            api::resources::provision(v).await.map(|p| {
                                format!(
                                    "Provisioned: {} queue{} made, {} removed, {} task{} back to draft, {} admitted.",
                                    p.queues_created,
                                    if p.queues_created == 1 { "" } else { "s" },
                                    p.queues_deleted,
                                    p.tasks_returned,
                                    if p.tasks_returned == 1 { "" } else { "s" },
                                    p.admitted
                                )
                            })
                        }
                        Err(e) => Err(e),
                    }
                }
                _ => api::resources::reset().await.map(|v| {
                    editor.version.set(v);
                    editor.dirty.set(false);
                    "The editor is back to the provisioned configuration.".to_string()
                }),
            };
            busy.set(false);
            match outcome {
                Ok(text) => {
                    notice.set(Some(text));
                    if what != "validate" {
                        reload.update(|n| *n += 1);
                    }
                    if what == "reset"
                        && let Ok(v) = api::resources::overview().await
                    {
                        editor.draft.set(v.saved);
                    }
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let set_enabled = move |on: bool| {
        error.set(None);
        leptos::task::spawn_local(async move {
            match api::resources::set_enabled(on).await {
                Ok(n) => {
                    notice.set(Some(if on {
                        format!(
                            "Resource management is on: {n} task{} admitted.",
                            if n == 1 { "" } else { "s" }
                        )
                    } else {
                        "Resource management is off: policy queues wait.".to_string()
                    }));
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };

    view! {
        <SectionHeader section=Section::Resources subtitle="Pools of resources, the profiles jobs run with, and the links between them. A profile's jobs take the first linked pool that can hold them; a pool serves the profiles in its execution priority first."/>
        <p class="sr-only" aria-live="polite" id="canvas-announce">{move || editor.announce.get()}</p>
        <Transition fallback=|| view! { <Loading/> }>
            {move || data.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
                Ok(v) => {
                    let enabled = v.enabled;
                    let unprovisioned = v.unprovisioned;
                    view! {
                        <section class="card" id="resource-management">
                            <Toggle id="resources-enabled" label="Resource management"
                                help="On: tasks in policy queues are admitted onto pools. Off: they stay pending."
                                checked=Signal::derive(move || enabled)
                                on_change=Callback::new(set_enabled)/>
                            {unprovisioned.then(|| view! { <p class="muted" id="unprovisioned-note">"Saved changes wait in the editor to be provisioned."</p> })}
                        </section>
                    }.into_any()
                }
            })}
        </Transition>
        <ErrorNote error=error/>
        {move || notice.get().map(|n| view! { <p class="notice" role="status" id="resources-notice">{n}</p> })}
        <section class="card" id="resource-canvas-card">
            <div class="card-title-row">
                <div>
                    <h2>{move || if editing.get() { "Editor" } else { "Provisioned configuration" }}</h2>
                    <p class="muted">{move || if editing.get() {
                        "Drag a profile's link handle onto a pool, or focus it and pick a pool with the arrow keys and Enter. Alt+Arrow keys reorder the focused item."
                    } else {
                        "What runs now. Open the editor to change it: saved changes apply only when provisioned."
                    }}</p>
                </div>
                {move || if editing.get() {
                    view! {
                        <div class="button-row" id="editor-actions">
                            <button class="button ghost" id="add-pool" on:click=move |_| card.set(Some(CardEdit::Pool(None)))>"+ Add Pool"</button>
                            <button class="button ghost" id="add-profile" on:click=move |_| card.set(Some(CardEdit::Profile(None)))>"+ Add Profile"</button>
                            <button class="button ghost" id="validate" disabled=move || busy.get() on:click=move |_| run("validate")>"Validate"</button>
                            <button class="button ghost" id="what-if" disabled=move || busy.get() on:click=move |_| {
                                error.set(None);
                                let draft = editor.draft.get_untracked();
                                leptos::task::spawn_local(async move {
                                    match api::resources::live().await {
                                        Ok(live) => what_if.set(Some(WhatIf::of(&draft, &live))),
                                        Err(e) => error.set(Some(e)),
                                    }
                                });
                            }>"What if"</button>
                            <button class="button" id="save" disabled=move || busy.get() || !editor.dirty.get() on:click=move |_| run("save")>"Save"</button>
                            <button class="button primary" id="provision" disabled=move || busy.get() on:click=move |_| confirm_provision.set(true)>"Provision"</button>
                            <button class="button ghost" id="reset" disabled=move || busy.get() on:click=move |_| confirm_reset.set(true)>"Reset Configuration"</button>
                            <button class="button ghost" id="exit-editor" on:click=move |_| { editing.set(false); reload.update(|n| *n += 1); }>"Exit"</button>
                        </div>
                    }.into_any()
                } else {
                    view! { <button class="button primary" id="open-editor" on:click=open_editor>"Open Editor"</button> }.into_any()
                }}
            </div>
            {move || findings.get().map(|f| view! {
                <ul class="findings" id="findings">
                    {f.into_iter().map(|f| view! { <li class="finding">{f.message}</li> }).collect_view()}
                </ul>
            })}
            {move || what_if.get().filter(|_| editing.get()).map(|w| view! { <WhatIfPanel what_if=w/> })}
            {move || if editing.get() {
                view! { <EditorCanvas editor=editor card=card usage=Signal::derive(move || view_data.get().map(|v| v.usage).unwrap_or_default())/> }.into_any()
            } else {
                view! {
                    <Transition fallback=|| view! { <Loading/> }>
                        {move || view_data.get().map(|v: ResourcesView| {
                            let config = v.provisioned.clone();
                            let usage = v.usage.clone();
                            if config.pools.is_empty() && config.profiles.is_empty() {
                                view! { <p class="empty" id="canvas-empty">"No pools or profiles yet. Open the editor to add them."</p> }.into_any()
                            } else {
                                view! { <Canvas config=Signal::derive(move || config.clone()) usage=Signal::derive(move || usage.clone()) editor=None/> }.into_any()
                            }
                        })}
                    </Transition>
                }.into_any()
            }}
        </section>
        <section class="card" id="waiting-tasks">
            <h2>"Waiting tasks"</h2>
            <p class="muted">"Tasks in policy queues that have not been admitted yet, and why — each queue's oldest first."</p>
            <Transition fallback=|| view! { <Loading/> }>
                {move || waiting.get().map(|r| match r {
                    Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! { <p class="empty" id="no-waiting">"No task waits in a policy queue."</p> }.into_any(),
                    Ok(rows) => view! {
                        <table class="table" id="waiting-table">
                            <thead><tr><th>"Task"</th><th>"Queue"</th><th class="num">"Place"</th><th>"Why it waits"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|t| view! {
                                    <tr data-task=t.task.clone()>
                                        <td>{t.name.clone()}</td>
                                        <td>{t.queue.clone()}</td>
                                        <td class="num">{t.pending.position + 1}</td>
                                        <td class="reason">{t.pending.message.clone()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
        </section>
        <ConfirmDialog open=confirm_provision title="Provision the configuration"
            message=Signal::derive(|| "Apply the editor's configuration now? Queues of removed pools and policies go, and their waiting tasks return to draft.".to_string())
            confirm_label="Provision"
            pending=busy
            on_confirm=Callback::new(move |_| { confirm_provision.set(false); run("provision"); })
            on_cancel=Callback::new(move |_| confirm_provision.set(false))/>
        <ConfirmDialog open=confirm_reset title="Reset the configuration"
            message=Signal::derive(|| "Drop every saved and unsaved change and start again from the provisioned configuration?".to_string())
            confirm_label="Reset"
            pending=busy
            on_confirm=Callback::new(move |_| { confirm_reset.set(false); run("reset"); })
            on_cancel=Callback::new(move |_| confirm_reset.set(false))/>
    }
    .into_any()
}

/// What the editor's configuration would do if it were provisioned now: the allocator itself, run
/// here in the browser over the live queues.
#[derive(Clone, Debug, PartialEq)]
struct WhatIf {
    waiting: usize,
    admitted: usize,
    /// Per pool: its name, the tasks it would take now, and how full it would be.
    pools: Vec<(String, usize, Amount, Amount)>,
}

impl WhatIf {
    fn of(config: &Configuration, live: &LiveQueues) -> WhatIf {
        let waiting = config.waiting(&live.waiting);
        let admissions = allocate(config, &live.running, &waiting);
        let pools = config
            .pools
            .iter()
            .map(|p| {
                let running = live
                    .running
                    .iter()
                    .filter(|r| r.pool == p.id)
                    .fold(Amount::ZERO, |a, r| a + r.amount);
                let new: Vec<_> = admissions.iter().filter(|a| a.pool == p.id).collect();
                let added = new.iter().fold(Amount::ZERO, |a, r| a + r.amount);
                (p.name.clone(), new.len(), running + added, p.capacity)
            })
            .collect();
        WhatIf {
            waiting: live.waiting.len(),
            admitted: admissions.len(),
            pools,
        }
    }
}

#[component]
fn WhatIfPanel(what_if: WhatIf) -> impl IntoView {
    view! {
        <div class="what-if" id="what-if-result" role="status">
            <p><strong>{format!("If provisioned now: {} of {} waiting task{} would start.", what_if.admitted, what_if.waiting, if what_if.waiting == 1 { "" } else { "s" })}</strong></p>
            <ul>
                {what_if.pools.into_iter().map(|(name, n, used, cap)| view! {
                    <li data-pool=name.clone()>{format!("{name}: {n} more, {used} of {cap} in use")}</li>
                }).collect_view()}
            </ul>
        </div>
    }
}

/// Which card a dialog edits: a new or an existing pool or profile.
#[derive(Clone, PartialEq)]
enum CardEdit {
    Pool(Option<Pool>),
    Profile(Option<Profile>),
}

/// The editor's canvas with its dialogs.
#[component]
fn EditorCanvas(
    editor: Editor,
    card: RwSignal<Option<CardEdit>>,
    #[prop(into)] usage: Signal<Usage>,
) -> impl IntoView {
    let connecting = RwSignal::new(None::<(String, String)>);
    let deleting = RwSignal::new(None::<(bool, String, String)>);
    let delete_error = RwSignal::new(None::<AppError>);
    let ctl = CanvasCtl {
        editor,
        moving: RwSignal::new(None),
        card,
        connecting,
        deleting,
    };
    view! {
        <Canvas config=editor.draft usage=usage editor=Some(ctl)/>
        <CardDialog editor=editor card=card/>
        <ConnectDialog editor=editor connecting=connecting/>
        <ConfirmDialog open=Signal::derive(move || deleting.get().is_some())
            title="Delete"
            message=Signal::derive(move || deleting.get().map(|(pool, _, name)| if pool {
                format!("Delete pool {name}? Links to it go too.")
            } else {
                format!("Delete profile {name}? Its links go too.")
            }).unwrap_or_default())
            confirm_label="Delete"
            on_confirm=Callback::new(move |_| {
                if let Some((pool, id, name)) = deleting.get_untracked() {
                    if pool {
                        editor.change(|c| c.remove_pool(&id), format!("Pool {name} deleted."));
                    } else {
                        let mut c = editor.draft.get_untracked();
                        match c.remove_profile(&id) {
                            Ok(()) => editor.change(|d| *d = c, format!("Profile {name} deleted.")),
                            Err(e) => delete_error.set(Some(e)),
                        }
                    }
                }
                deleting.set(None);
            })
            on_cancel=Callback::new(move |_| deleting.set(None))/>
        <ErrorNote error=delete_error/>
    }
}

/// What the editor's canvas needs to change things.
#[derive(Clone, Copy)]
struct CanvasCtl {
    editor: Editor,
    /// An item being dragged within its ordered list, and its place.
    moving: RwSignal<Option<(OrderedList, usize)>>,
    card: RwSignal<Option<CardEdit>>,
    connecting: RwSignal<Option<(String, String)>>,
    deleting: RwSignal<Option<(bool, String, String)>>,
}

/// A link being dragged from a profile's handle: the profile, and where the pointer is (canvas
/// coordinates).
#[derive(Clone, Debug, PartialEq)]
struct Drag {
    profile: String,
    from: (f64, f64),
    at: (f64, f64),
}

/// The canvas: pool cards on top, profile cards below, SVG links between them. With `editor`, the
/// cards have menus and handles.
#[component]
fn Canvas(
    #[prop(into)] config: Signal<Configuration>,
    #[prop(into)] usage: Signal<Usage>,
    editor: Option<CanvasCtl>,
) -> impl IntoView {
    let editable = editor.is_some();
    let drag = RwSignal::new(None::<Drag>);
    // Keyboard linking: the profile whose handle picks a pool, and the pool it points at.
    let picking = RwSignal::new(None::<(String, usize)>);
    let surface = NodeRef::<leptos::html::Div>::new();
    let width = Signal::derive(move || {
        config.with(|c| {
            let n = c.pools.len().max(c.profiles.len()).max(1);
            card_x(n) - GAP
        })
    });
    let profile_y = POOL_H + ROW_GAP;
    let height = Signal::derive(move || {
        config.with(|c| {
            let links = c.profiles.iter().map(|p| p.links.len()).max().unwrap_or(0);
            profile_y + 150.0 + 26.0 * links as f64 + if editable { 40.0 } else { 0.0 }
        })
    });
    // Canvas coordinates of a pointer event.
    let local = move |x: i32, y: i32| -> (f64, f64) {
        #[cfg(feature = "hydrate")]
        if let Some(el) = surface.get_untracked() {
            let r = el.get_bounding_client_rect();
            return (f64::from(x) - r.left(), f64::from(y) - r.top());
        }
        (f64::from(x), f64::from(y))
    };
    // The attribute `attr` of the element under a pointer, or of the nearest element above it that
    // has one.
    let hit = move |x: i32, y: i32, attr: &str| -> Option<String> {
        #[cfg(feature = "hydrate")]
        {
            let el = leptos::prelude::document().element_from_point(x as f32, y as f32)?;
            let found = el.closest(&format!("[{attr}]")).ok()??;
            return found.get_attribute(attr);
        }
        #[allow(unreachable_code)]
        {
            let _ = (x, y, attr);
            None
        }
    };
    let lines = move || {
        config.with(|c| {
            let mut out = Vec::new();
            for (j, profile) in c.profiles.iter().enumerate() {
                let n = profile.links.len();
                for (k, link) in profile.links.iter().enumerate() {
                    let Some(i) = c.pools.iter().position(|p| p.id == link.pool) else {
                        continue;
                    };
                    let pool = &c.pools[i];
                    let rank = pool.priority.iter().position(|p| p == &profile.id).unwrap_or(pool.priority.len());
                    let spread = |idx: usize, of: usize| (idx as f64 - (of.max(1) as f64 - 1.0) / 2.0) * 16.0;
                    let x1 = card_x(j) + CARD_W / 2.0 + spread(k, n);
                    let x2 = card_x(i) + CARD_W / 2.0 + spread(rank, pool.priority.len().max(1));
                    let (y1, y2) = (profile_y, POOL_H);
                    let mid = (y1 + y2) / 2.0;
                    let d = format!("M {x1:.1} {y1:.1} C {x1:.1} {mid:.1}, {x2:.1} {mid:.1}, {x2:.1} {y2:.1}");
                    let label = format!("{} → {} ({}{})", profile.name, pool.name, k + 1, match k { 0 => "st", 1 => "nd", 2 => "rd", _ => "th" });
                    out.push(view! {
                        <path class="link-line" d=d data-link=format!("{}->{}", profile.id, pool.id)><title>{format!("{}: {label}", link.name)}</title></path>
                    });
                }
            }
            out
        })
    };

    let pool_cards = move || {
        config
            .get()
            .pools
            .into_iter()
            .enumerate()
            .collect::<Vec<_>>()
    };
    let profile_cards = move || {
        config
            .get()
            .profiles
            .into_iter()
            .enumerate()
            .collect::<Vec<_>>()
    };
    view! {
        <div class="resource-canvas" class:editing=editable id="resource-canvas" node_ref=surface

            on:pointermove=move |ev| {
                if drag.with_untracked(Option::is_some) {
                    let at = local(ev.client_x(), ev.client_y());
                    drag.update(|d| if let Some(d) = d { d.at = at; });
                }
            }
            on:pointerup=move |ev| {
                if let Some(d) = drag.get_untracked() {
                    drag.set(None);
                    if let (Some(pool), Some(ctl)) = (hit(ev.client_x(), ev.client_y(), "data-pool-id"), editor) {
                        ctl.connecting.set(Some((d.profile, pool)));
                    }
                }
                if let Some(ctl) = editor
                    && let Some((list, from)) = ctl.moving.get_untracked()
                {
                    ctl.moving.set(None);
                    let to = hit(ev.client_x(), ev.client_y(), "data-list")
                        .filter(|k| *k == list.key())
                        .and_then(|_| hit(ev.client_x(), ev.client_y(), "data-index"))
                        .and_then(|i| i.parse::<usize>().ok());
                    if let Some(to) = to.filter(|to| *to != from) {
                        ctl.editor.change(
                            |c| {
                                c.reorder(&list, from, to);
                            },
                            format!("Moved from place {} to place {}.", from + 1, to + 1),
                        );
                    }
                }
            }
            on:pointerleave=move |_| {
                drag.set(None);
                if let Some(ctl) = editor {
                    ctl.moving.set(None);
                }
            }
        >
            <svg class="links" aria-hidden="true" width=move || format!("{:.0}", width.get()) height=move || format!("{:.0}", height.get())>
                {lines}
                {move || drag.get().map(|d| view! {
                    <line class="link-draft" x1=d.from.0 y1=d.from.1 x2=d.at.0 y2=d.at.1/>
                })}
            </svg>
            <div class="pool-row">{move || pool_cards().into_iter().map(move |(i, pool)| {
                    let id = pool.id.clone();
                    let pick_id = id.clone();
                    let targeted = move || picking.with(|p| p.as_ref().is_some_and(|(_, at)| *at == i));
                    let (in_use, capacity) = use_of(&usage.get_untracked(), &pool.id);
                    let shown_use = if editable { None } else { Some((in_use, capacity)) };
                    let names: Vec<(usize, String)> = config.with_untracked(|c| pool.priority.iter().enumerate().filter_map(|(r, pid)| c.profile(pid).map(|p| (r, p.name.clone()))).collect());
                    let count = names.len();
                    let pool_name = pool.name.clone();
                    view! {
                        <div class="canvas-card pool-card" class:drop-target=targeted data-pool-id=pick_id data-pool-name=pool.name.clone()
                            >
                            <header class="canvas-card-head">
                                <h3>{pool.name.clone()}</h3>
                                {editor.map(|ctl| {
                                    let p = pool.clone();
                                    let (pid, pname) = (pool.id.clone(), pool.name.clone());
                                    view! {
                                        <span class="card-menu">
                                            <button class="icon-button small" aria-label=format!("Edit pool {}", pool.name) on:click=move |_| ctl.card.set(Some(CardEdit::Pool(Some(p.clone()))))><PencilIcon/></button>
                                            <button class="icon-button small" aria-label=format!("Delete pool {}", pool.name) on:click=move |_| ctl.deleting.set(Some((true, pid.clone(), pname.clone())))><TrashIcon/></button>
                                        </span>
                                    }
                                })}
                            </header>
                            <p class="card-figure">{match shown_use {
                                Some((u, c)) => format!("{u} / {c} in use"),
                                None => format!("{} resources", pool.capacity),
                            }}</p>
                            {shown_use.map(|(u, c)| {
                                let pct = if c.0 > 0 { (u.0 * 100 / c.0).clamp(0, 100) } else { 0 };
                                view! { <svg class="bar" role="img" aria-label=format!("{u} of {c} in use") viewBox="0 0 100 6" preserveAspectRatio="none"><rect class="bar-track" width="100" height="6"/><rect class="bar-fill" width=pct.to_string() height="6"/></svg> }
                            })}
                            <p class="card-label">"Execution priority"</p>
                            <ol class="priority-list">
                                {names.into_iter().map(|(r, name)| {
                                    let pool_id = id.clone();
                                    let pool_name = pool_name.clone();
                                    let label = name.clone();
                                    view! {
                                        <li>
                                            {match editor {
                                                Some(ctl) => view! {
                                                    <ReorderItem ctl=ctl list=OrderedList::PoolPriority(pool_id.clone()) index=r count=count label=label.clone() place=format!(" on pool {pool_name}")/>
                                                }.into_any(),
                                                None => view! { <span>{name.clone()}</span> }.into_any(),
                                            }}
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                        </div>
                    }
                }).collect_view()}</div>
            <div class="profile-row">{move || profile_cards().into_iter().map(move |(j, profile)| {
                    let stats = usage.with_untracked(|u| u.profiles.iter().find(|p| p.id == profile.id).cloned());
                    let links: Vec<(usize, String, String, String)> = config.with_untracked(|c| profile.links.iter().enumerate().map(|(k, l)| (k, l.name.clone(), l.pool.clone(), c.pool(&l.pool).map(|p| p.name.clone()).unwrap_or_default())).collect());
                    let n = links.len();
                    let pid = profile.id.clone();
                    let pname = profile.name.clone();
                    view! {
                        <div class="canvas-card profile-card" data-profile-id=profile.id.clone() data-profile-name=profile.name.clone()
                            >
                            <header class="canvas-card-head">
                                <h3>{profile.name.clone()}</h3>
                                {editor.map(|ctl| {
                                    let p = profile.clone();
                                    let (pid, pname) = (pid.clone(), pname.clone());
                                    view! {
                                        <span class="card-menu">
                                            <button class="icon-button small" aria-label=format!("Edit profile {}", profile.name) on:click=move |_| ctl.card.set(Some(CardEdit::Profile(Some(p.clone()))))><PencilIcon/></button>
                                            <button class="icon-button small" aria-label=format!("Delete profile {}", profile.name) on:click=move |_| ctl.deleting.set(Some((false, pid.clone(), pname.clone())))><TrashIcon/></button>
                                        </span>
                                    }
                                })}
                            </header>
                            <p class="card-figure">{format!("{} per job", profile.allotment)}</p>
                            {stats.map(|s| view! {
                                <p class="muted small">{format!("{} queued · {} running · {} polic{}", s.queued, s.running, s.policies, if s.policies == 1 { "y" } else { "ies" })}</p>
                            })}
                            <p class="card-label">"Pools, in order"</p>
                            <ol class="link-list">
                                {links.into_iter().map(|(k, name, pool, pool_name)| {
                                    let pool_attr = pool.clone();
                                    let profile_id = pid.clone();
                                    let profile_id2 = pid.clone();
                                    let said2 = pool_name.clone();
                                    view! {
                                        <li class="link-item" data-link-pool=pool_attr>
                                            {match editor {
                                                Some(ctl) => view! {
                                                    <ReorderItem ctl=ctl list=OrderedList::ProfileLinks(profile_id.clone()) index=k count=n label=format!("{name} → {pool_name}") place=String::new()/>
                                                    <button class="icon-button small disconnect" aria-label=format!("Disconnect from {}", said2)
                                                        on:click=move |_| {
                                                            let (profile_id, pool) = (profile_id2.clone(), pool.clone());
                                                            ctl.editor.change(|c| c.disconnect(&profile_id, &pool), format!("Disconnected from {said2}."));
                                                        }>"×"</button>
                                                }.into_any(),
                                                None => view! { <span>{format!("{name} → {pool_name}")}</span> }.into_any(),
                                            }}
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                            {editor.map(|ctl| {
                                let handle_id = pid.clone();
                                let key_id = pid.clone();
                                let x = card_x(j) + CARD_W / 2.0;
                                view! {
                                    <button class="link-handle" data-handle=pid.clone()
                                        aria-label=move || match picking.get() {
                                            Some((p, at)) if p == key_id => config.with(|c| c.pools.get(at).map(|pool| format!("Link {pname} to pool {} ({} of {}): Enter connects, arrows pick another, Escape cancels", pool.name, at + 1, c.pools.len())).unwrap_or_default()),
                                            _ => format!("Link profile {pname} to a pool: drag onto a pool, or press Enter and pick one with the arrow keys"),
                                        }
                                        on:pointerdown=move |ev| {
                                            ev.prevent_default();
                                            let at = local(ev.client_x(), ev.client_y());
                                            drag.set(Some(Drag { profile: handle_id.clone(), from: (x, profile_y), at }));
                                        }
                                        on:keydown={
                                            let pid = pid.clone();
                                            move |ev| {
                                                let pools = config.with_untracked(|c| c.pools.len());
                                                let key = ev.key();
                                                let now = picking.get_untracked().filter(|(p, _)| *p == pid);
                                                match (now, key.as_str()) {
                                                    (None, "Enter" | " ") if pools > 0 => {
                                                        ev.prevent_default();
                                                        picking.set(Some((pid.clone(), 0)));
                                                        let name = config.with_untracked(|c| c.pools[0].name.clone());
                                                        ctl.editor.announce.set(format!("Pick a pool: {name}, 1 of {pools}."));
                                                    }
                                                    (Some((_, at)), "ArrowRight" | "ArrowDown" | "ArrowLeft" | "ArrowUp") => {
                                                        ev.prevent_default();
                                                        let next = if matches!(key.as_str(), "ArrowRight" | "ArrowDown") { (at + 1) % pools } else { (at + pools - 1) % pools };
                                                        picking.set(Some((pid.clone(), next)));
                                                        let name = config.with_untracked(|c| c.pools[next].name.clone());
                                                        ctl.editor.announce.set(format!("{name}, {} of {pools}.", next + 1));
                                                    }
                                                    (Some((_, at)), "Enter" | " ") => {
                                                        ev.prevent_default();
                                                        picking.set(None);
                                                        let pool = config.with_untracked(|c| c.pools[at].id.clone());
                                                        ctl.connecting.set(Some((pid.clone(), pool)));
                                                    }
                                                    (Some(_), "Escape") => {
                                                        picking.set(None);
                                                        ctl.editor.announce.set("Linking cancelled.".into());
                                                    }
                                                    _ => {}
                                                }
                                            }
                                        }
                                        on:blur=move |_| picking.set(None)
                                    >"⊕ Link to pool"</button>
                                }
                            })}
                            {editor.map(|ctl| view! { <PolicyPriority ctl=ctl profile=profile.clone()/> })}
                        </div>
                    }
                }).collect_view()}</div>
        </div>
    }
}

/// An item of an ordered list in the editor: Alt+Arrow keys move it, and so does dragging it onto
/// another item of the same list.
#[component]
fn ReorderItem(
    ctl: CanvasCtl,
    list: OrderedList,
    index: usize,
    count: usize,
    label: String,
    /// Where the list is, for the announcement (" on pool H100").
    place: String,
) -> impl IntoView {
    let key = list.key();
    let grabbed = list.clone();
    let aria = format!(
        "{label}, place {} of {count}{place}; drag it or use Alt+Arrow keys to move it",
        index + 1
    );
    let text = label.clone();
    view! {
        <button class="reorder" data-list=key data-index=index.to_string() aria-label=aria
            on:pointerdown=move |_| ctl.moving.set(Some((grabbed.clone(), index)))
            on:keydown=move |ev| {
                let delta: isize = match ev.key().as_str() {
                    "ArrowUp" | "ArrowLeft" => -1,
                    "ArrowDown" | "ArrowRight" => 1,
                    _ => 0,
                };
                if ev.alt_key() && delta != 0 && count > 0 {
                    ev.prevent_default();
                    let to = (index as isize + delta).clamp(0, count as isize - 1) as usize;
                    let list = list.clone();
                    ctl.editor.change(
                        |c| {
                            c.reorder(&list, index, to);
                        },
                        format!("{label} moved to place {}{place}.", to + 1),
                    );
                }
            }
        >{text}</button>
    }
}

/// A profile's policy priority in the editor (the policies whose queues expose it), reordered with
/// Alt+Arrow keys.
#[component]
fn PolicyPriority(ctl: CanvasCtl, profile: Profile) -> impl IntoView {
    let names: Vec<(usize, String)> = ctl.editor.draft.with_untracked(|c| {
        profile
            .policy_priority
            .iter()
            .enumerate()
            .filter_map(|(i, id)| {
                c.policies
                    .iter()
                    .find(|p| &p.id == id)
                    .map(|p| (i, p.name.clone()))
            })
            .collect()
    });
    if names.is_empty() {
        return ().into_any();
    }
    let n = names.len();
    view! {
        <p class="card-label">"Policy priority"</p>
        <ol class="priority-list">
            {names.into_iter().map(|(i, name)| {
                let id = profile.id.clone();
                view! {
                    <li><ReorderItem ctl=ctl list=OrderedList::PolicyPriority(id.clone()) index=i count=n label=name.clone() place=String::new()/></li>
                }
            }).collect_view()}
        </ol>
    }
    .into_any()
}

/// Adds or edits a pool or a profile.
#[component]
fn CardDialog(editor: Editor, card: RwSignal<Option<CardEdit>>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    Effect::new(move |_| {
        error.set(None);
        match card.get() {
            Some(CardEdit::Pool(p)) => {
                name.set(p.as_ref().map(|p| p.name.clone()).unwrap_or_default());
                amount.set(
                    p.as_ref()
                        .map(|p| p.capacity.to_string())
                        .unwrap_or_default(),
                );
                description.set(p.map(|p| p.description).unwrap_or_default());
            }
            Some(CardEdit::Profile(p)) => {
                name.set(p.as_ref().map(|p| p.name.clone()).unwrap_or_default());
                amount.set(p.map(|p| p.allotment.to_string()).unwrap_or_default());
                description.set(String::new());
            }
            None => {}
        }
    });
    let is_pool = move || matches!(card.get(), Some(CardEdit::Pool(_)));
    let title = Signal::derive(move || match card.get() {
        Some(CardEdit::Pool(None)) => "Add Pool",
        Some(CardEdit::Pool(Some(_))) => "Edit Pool",
        Some(CardEdit::Profile(None)) => "Add Profile",
        _ => "Edit Profile",
    });
    let submit = move || {
        let n = name.get_untracked().trim().to_string();
        if n.is_empty() {
            error.set(Some(AppError::validation("name", "A name is required.")));
            return;
        }
        let field = if is_pool() { "capacity" } else { "allotment" };
        let a = match Amount::parse(field, &amount.get_untracked()) {
            Ok(a) if a > Amount::ZERO => a,
            Ok(_) => {
                error.set(Some(AppError::validation(field, "More than 0, please.")));
                return;
            }
            Err(e) => {
                error.set(Some(e));
                return;
            }
        };
        let said = match card.get_untracked() {
            Some(CardEdit::Pool(existing)) => {
                let desc = description.get_untracked();
                let mut said = format!("Pool {n} added.");
                editor.draft.update(|c| match existing {
                    Some(p) => {
                        if let Some(x) = c.pools.iter_mut().find(|x| x.id == p.id) {
                            x.name = n.clone();
                            x.capacity = a;
                            x.description = desc;
                        }
                        said = format!("Pool {n} changed.");
                    }
                    None => {
                        let id = c.new_id("pool", &n);
                        c.pools.push(Pool {
                            id,
                            name: n.clone(),
                            capacity: a,
                            description: desc,
                            priority: vec![],
                        });
                    }
                });
                said
            }
            Some(CardEdit::Profile(existing)) => {
                let mut said = format!("Profile {n} added.");
                editor.draft.update(|c| match existing {
                    Some(p) => {
                        if let Some(x) = c.profiles.iter_mut().find(|x| x.id == p.id) {
                            x.name = n.clone();
                            x.allotment = a;
                        }
                        said = format!("Profile {n} changed.");
                    }
                    None => {
                        let id = c.new_id("profile", &n);
                        c.profiles.push(Profile {
                            id,
                            name: n.clone(),
                            allotment: a,
                            links: vec![],
                            policy_priority: vec![],
                        });
                    }
                });
                said
            }
            None => return,
        };
        editor.dirty.set(true);
        editor.announce.set(said);
        card.set(None);
    };
    view! {
        {move || card.get().is_some().then(|| view! { <Dialog open=Signal::derive(|| true) title=title.get() on_close=Callback::new(move |_| card.set(None))>
            <form class="dialog-body" id="card-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <label>"Name" <input id="card-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) required/></label>
                <label>{move || if is_pool() { "Number of resources" } else { "Resources per job (such as 0.5 or 4)" }}
                    <input id="card-amount" inputmode="decimal" prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev)) required/></label>
                {move || is_pool().then(|| view! {
                    <label>"Description" <input id="card-description" prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))/></label>
                })}
                <ErrorNote error=error/>
                <footer class="dialog-footer">
                    <button type="button" class="button ghost" on:click=move |_| card.set(None)>"Cancel"</button>
                    <button type="submit" class="button primary" id="card-save">"Save"</button>
                </footer>
            </form>
        </Dialog> })}
    }
}

/// Connect Profile: names the link a drag (or the keyboard) made.
#[component]
fn ConnectDialog(editor: Editor, connecting: RwSignal<Option<(String, String)>>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let names = move || {
        connecting.get().map(|(profile, pool)| {
            editor.draft.with_untracked(|c| {
                (
                    c.profile(&profile)
                        .map(|p| p.name.clone())
                        .unwrap_or_default(),
                    c.pool(&pool).map(|p| p.name.clone()).unwrap_or_default(),
                )
            })
        })
    };
    Effect::new(move |_| {
        if let Some((profile, pool)) = names() {
            name.set(format!("{profile} on {pool}"));
        }
    });
    let submit = move || {
        let Some((profile, pool)) = connecting.get_untracked() else {
            return;
        };
        let n = name.get_untracked().trim().to_string();
        if n.is_empty() {
            return;
        }
        let (pn, pl) = names().unwrap_or_default();
        editor.change(
            |c| c.connect(&profile, &pool, &n),
            format!("Profile {pn} linked to pool {pl}."),
        );
        connecting.set(None);
    };
    view! {
        <Dialog open=Signal::derive(move || connecting.get().is_some()) title="Connect Profile" on_close=Callback::new(move |_| connecting.set(None))>
            <form class="dialog-body" id="connect-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <p>{move || names().map(|(profile, pool)| format!("Link profile {profile} to pool {pool}.")).unwrap_or_default()}</p>
                <label>"Connection name" <input id="connection-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) required/></label>
                <footer class="dialog-footer">
                    <button type="button" class="button ghost" on:click=move |_| connecting.set(None)>"Cancel"</button>
                    <button type="submit" class="button primary" id="connect">"Connect"</button>
                </footer>
            </form>
        </Dialog>
    }
}

/// Settings → Resource Policies: each policy's group, reservation, limit and queues, edited into
/// the saved configuration and provisioned from here or from the editor.
#[component]
pub fn ResourcePoliciesPage() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    if !session.is_admin() {
        return view! { <SectionHeader section=Section::ResourcePolicies/><AdminsOnly/> }
            .into_any();
    }
    let reload = RwSignal::new(0u32);
    // One server function a resource. The server renders the page more than once and the browser
    // hydrates with the first rendering's reads, which is let go while they may still run: a
    // second call after an await there would find no request context and hand the browser an
    // error (tests/http/pages.rs).
    let overview = Resource::new_blocking(move || reload.get(), |_| api::resources::overview());
    let groups = Resource::new_blocking(move || reload.get(), |_| api::groups::overview());
    let data = move || {
        Some(match (overview.get()?, groups.get()?) {
            (Ok(view), Ok(groups)) => Ok((view, groups.groups)),
            (Err(e), _) | (_, Err(e)) => Err(e),
        })
    };
    // Whether the dialog has what it offers; it stays true while a change reloads them.
    let ready = Memo::new(move |_| matches!(data(), Some(Ok(_))));
    let editing = RwSignal::new(None::<Option<Policy>>);
    let deleting = RwSignal::new(None::<Policy>);
    let error = RwSignal::new(None::<AppError>);
    let notice = RwSignal::new(None::<String>);
    // Applies a change to the saved configuration, saves it and provisions it.
    type Change = Box<dyn FnOnce(&mut Configuration) -> Result<(), AppError> + Send>;
    let apply = move |change: Change, said: String| {
        error.set(None);
        notice.set(None);
        leptos::task::spawn_local(async move {
            let outcome = async {
                let v = api::resources::overview().await?;
                let mut c = v.saved;
                change(&mut c)?;
                c.tidy_policy_priorities();
                let version = api::resources::save(c, v.saved_version).await?;
                api::resources::provision(version).await
            }
            .await;
            match outcome {
                Ok(p) => {
                    notice.set(Some(format!(
                        "{said} Provisioned; {} task{} admitted.",
                        p.admitted,
                        if p.admitted == 1 { "" } else { "s" }
                    )));
                    editing.set(None);
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <SectionHeader section=Section::ResourcePolicies subtitle="A policy gives a user group a reservation (resources held for it while its tasks wait) and a limit (the most it uses at once), through queues that each expose one profile. Only the group's members enqueue there."/>
        <ErrorNote error=error/>
        {move || notice.get().map(|n| view! { <p class="notice" role="status" id="policies-notice">{n}</p> })}
        <section class="card" id="resource-policies">
            <div class="card-title-row">
                <h2>"Policies"</h2>
                <button class="button primary" id="add-policy" on:click=move |_| editing.set(Some(None))>"+ Add Policy"</button>
            </div>
            <Transition fallback=|| view! { <Loading/> }>
                {move || data().map(|r| match r {
                    Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
                    Ok((v, groups)) => {
                        let config = v.saved.clone();
                        if config.policies.is_empty() {
                            return view! { <p class="empty" id="policies-empty">"No policies yet. Add one to give a group its share of the pools."</p> }.into_any();
                        }
                        let rows = config.policies.iter().map(|p| {
                            let group = groups.iter().find(|g| g.id == p.group).map(|g| g.name.clone()).unwrap_or_else(|| "(deleted group)".into());
                            let stats = v.usage.policies.iter().find(|u| u.id == p.id).cloned();
                            let queues = p.queues.iter().map(|q| format!("{} ({})", q.name, config.profile(&q.profile).map(|f| f.name.as_str()).unwrap_or("?"))).collect::<Vec<_>>().join(", ");
                            let (edit, del) = (p.clone(), p.clone());
                            view! {
                                <tr data-policy=p.name.clone()>
                                    <td>{p.name.clone()}</td>
                                    <td>{group}</td>
                                    <td class="num">{p.reservation.to_string()}</td>
                                    <td class="num">{p.limit.to_string()}</td>
                                    <td>{queues}</td>
                                    <td class="num">{stats.map(|s| format!("{} used · {} queued · {} running", s.used, s.queued, s.running)).unwrap_or_else(|| "not provisioned".into())}</td>
                                    <td class="actions">
                                        <button class="icon-button small" aria-label=format!("Edit policy {}", p.name) on:click=move |_| editing.set(Some(Some(edit.clone())))><PencilIcon/></button>
                                        <button class="icon-button small" aria-label=format!("Delete policy {}", p.name) on:click=move |_| deleting.set(Some(del.clone()))><TrashIcon/></button>
                                    </td>
                                </tr>
                            }
                        }).collect_view();
                        view! {
                            <table class="table" id="policies-table">
                                <thead><tr><th>"Name"</th><th>"User group"</th><th class="num">"Reservation"</th><th class="num">"Limit"</th><th>"Queues (profile)"</th><th class="num">"Now"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
        // The dialog takes the configuration and the groups as they are when it opens: the reload
        // after a save that lands while it is open must not draw it again over what was typed.
        <Transition fallback=|| ()>{move || editing.get().filter(|_| ready.get()).and_then(|existing| {
            let (config, groups) = untrack(data)?.ok().map(|(v, g)| (v.saved, g))?;
            Some(view! { <PolicyDialog existing=existing config=config groups=groups on_close=Callback::new(move |_| editing.set(None)) on_save=Callback::new(move |p: PolicyDraft| {
                let said = format!("Policy {} saved.", p.name.trim());
                apply(Box::new(move |c: &mut Configuration| c.put_policy(p).map(|_| ())), said);
            })/> })
        })}</Transition>
        <ConfirmDialog open=Signal::derive(move || deleting.get().is_some()) title="Delete policy"
            message=Signal::derive(move || deleting.get().map(|p| format!("Delete policy {}? Its queues go and their waiting tasks return to draft.", p.name)).unwrap_or_default())
            confirm_label="Delete"
            on_confirm=Callback::new(move |_| {
                if let Some(p) = deleting.get_untracked() {
                    let said = format!("Policy {} deleted.", p.name);
                    apply(Box::new(move |c: &mut Configuration| { c.remove_policy(&p.id); Ok(()) }), said);
                }
                deleting.set(None);
            })
            on_cancel=Callback::new(move |_| deleting.set(None))/>
    }
    .into_any()
}

/// Adds or edits a policy: name, group, reservation, limit, description and queues (a profile at
/// most once; profiles above the limit are listed but cannot be chosen).
#[component]
fn PolicyDialog(
    existing: Option<Policy>,
    config: Configuration,
    groups: Vec<api::groups::Group>,
    on_close: Callback<()>,
    on_save: Callback<PolicyDraft>,
) -> impl IntoView {
    let title = if existing.is_some() {
        "Edit Policy"
    } else {
        "Add Policy"
    };
    let p = existing
        .clone()
        .unwrap_or_else(|| Policy::empty(String::new()));
    let name = RwSignal::new(p.name.clone());
    let group = RwSignal::new(p.group.clone());
    let original = StoredValue::new(p.clone());
    let reservation = RwSignal::new(p.reservation.to_string());
    let limit = RwSignal::new(if existing.is_some() {
        p.limit.to_string()
    } else {
        String::new()
    });
    let description = RwSignal::new(p.description.clone());
    let queues = RwSignal::new(
        p.queues
            .iter()
            .map(|q| (q.id.clone(), q.name.clone(), q.profile.clone()))
            .collect::<Vec<_>>(),
    );
    let error = RwSignal::new(None::<AppError>);
    let config = StoredValue::new(config);
    let groups = StoredValue::new(groups);
    let limit_amount = move || Amount::parse("limit", &limit.get()).ok();
    let submit = move || {
        let fail = |e: AppError| error.set(Some(e));
        let n = name.get_untracked().trim().to_string();
        if n.is_empty() {
            return fail(AppError::validation("name", "A name is required."));
        }
        if group.get_untracked().is_empty() {
            return fail(AppError::validation(
                "group",
                "Pick the user group the policy is for.",
            ));
        }
        let r = match Amount::parse("reservation", &reservation.get_untracked()) {
            Ok(a) => a,
            Err(e) => return fail(e),
        };
        let l = match Amount::parse("limit", &limit.get_untracked()) {
            Ok(a) => a,
            Err(e) => return fail(e),
        };
        let mut draft = PolicyDraft {
            id: Some(original.get_value().id).filter(|id| !id.is_empty()),
            name: n,
            group: group.get_untracked(),
            reservation: r,
            limit: l,
            description: description.get_untracked(),
            queues: Vec::new(),
        };
        for (qid, qname, profile) in queues.get_untracked() {
            if profile.is_empty() {
                return fail(AppError::validation(
                    "queues",
                    format!("Pick a profile for queue {qname}."),
                ));
            }
            draft
                .queues
                .push((Some(qid).filter(|q| !q.is_empty()), qname, profile));
        }
        // The configuration's own checks, before anything is sent.
        let mut check = config.get_value();
        if let Err(e) = check.put_policy(draft.clone()).and_then(|_| check.check()) {
            return fail(e);
        }
        on_save.run(draft);
    };
    view! {
        <Dialog open=Signal::derive(|| true) title=title on_close=on_close>
            <form class="dialog-body" id="policy-form" on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <label>"Name" <input id="policy-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) required/></label>
                <label>"User group"
                    <select id="policy-group" on:change=move |ev| group.set(event_target_value(&ev))>
                        <option value="" selected=move || group.get().is_empty()>"Pick a group"</option>
                        {groups.with_value(|groups| groups.iter().map(|g| { let id = g.id.clone(); view! { <option value=g.id.clone() selected=move || group.get() == id>{g.name.clone()}</option> } }).collect_view())}
                    </select>
                </label>
                <div class="row">
                    <label>"Reservation" <input id="policy-reservation" inputmode="decimal" prop:value=move || reservation.get() on:input=move |ev| reservation.set(event_target_value(&ev))/></label>
                    <label>"Limit" <input id="policy-limit" inputmode="decimal" prop:value=move || limit.get() on:input=move |ev| limit.set(event_target_value(&ev)) required/></label>
                </div>
                <label>"Description" <input id="policy-description" prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))/></label>
                <fieldset class="queues">
                    <legend>"Queues"</legend>
                    {move || {
                        let rows = queues.get();
                        if rows.is_empty() {
                            return view! { <p class="muted" id="no-queues">"No queues yet: add one to expose a profile."</p> }.into_any();
                        }
                        rows.into_iter().enumerate().map(|(i, (_, qname, profile))| {
                            let chosen: Vec<String> = queues.with_untracked(|q| q.iter().enumerate().filter(|(k, _)| *k != i).map(|(_, x)| x.2.clone()).collect());
                            view! {
                                <div class="queue-row">
                                    <input class="queue-name" aria-label=format!("Queue {} name", i + 1) prop:value=qname on:input=move |ev| queues.update(|q| q[i].1 = event_target_value(&ev))/>
                                    <select class="queue-profile" aria-label=format!("Queue {} profile", i + 1) on:change=move |ev| queues.update(|q| q[i].2 = event_target_value(&ev))>
                                        <option value="" selected=profile.is_empty()>"Pick a profile"</option>
                                        {config.with_value(|c| c.profiles.iter().map(|f| {
                                            let too_big = limit_amount().is_some_and(|l| f.allotment > l);
                                            let taken = chosen.contains(&f.id);
                                            view! { <option value=f.id.clone() selected=profile == f.id disabled=too_big || taken>
                                                {format!("{} ({} per job){}", f.name, f.allotment, if too_big { " — above the limit" } else if taken { " — has a queue" } else { "" })}
                                            </option> }
                                        }).collect_view())}
                                    </select>
                                    <button type="button" class="icon-button small" aria-label=format!("Remove queue {}", i + 1) on:click=move |_| queues.update(|q| { q.remove(i); })>"×"</button>
                                </div>
                            }
                        }).collect_view().into_any()
                    }}
                    <button type="button" class="button ghost" id="add-queue" on:click=move |_| queues.update(|q| q.push((String::new(), String::new(), String::new())))>"+ Add queue"</button>
                </fieldset>
                <ErrorNote error=error/>
                <footer class="dialog-footer">
                    <button type="button" class="button ghost" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="button primary" id="policy-save">"Save and provision"</button>
                </footer>
            </form>
        </Dialog>
    }
}
