//! Settings → Access Rules: the workspace's rules (resource type, object or all, permission,
//! subjects) with filters, a dialog to add or edit a rule with pickers that filter as you type,
//! deletion after confirmation, and the explainer: who can reach an object, or what a person can
//! reach, and which rule (or the default, or the administrator role) says so.

use leptos::prelude::*;

use crate::api;
use crate::api::access_rules::{
    ExplainAbout, Explanation, ObjectOption, RuleInput, RuleView, SubjectRef, SubjectView,
};
use crate::components::confirm::ConfirmDialog;
use crate::components::dialog::Dialog;
use crate::components::icons::{PencilIcon, TrashIcon};
use crate::components::{ErrorNote, Loading};
use crate::domain::AppError;
use crate::domain::access_rules::{Because, KINDS, Level, SubjectKind};
use crate::domain::catalog::Kind;
use crate::pages::settings::{AdminsOnly, Section, SectionHeader, SessionCtx};

fn kind_label(k: Kind) -> &'static str {
    match k {
        Kind::Project => "Project",
        Kind::Task => "Task",
        Kind::Model => "Model",
        Kind::Dataview => "Dataview",
        Kind::Dataset | Kind::DatasetVersion => "Dataset",
        Kind::Queue => "Queue",
    }
}

fn plural(k: Kind) -> &'static str {
    match k {
        Kind::Project => "All projects",
        Kind::Task => "All tasks",
        Kind::Model => "All models",
        Kind::Dataview => "All dataviews",
        Kind::Dataset | Kind::DatasetVersion => "All datasets",
        Kind::Queue => "All queues",
    }
}

fn subject_badge(k: SubjectKind) -> &'static str {
    match k {
        SubjectKind::User => "user",
        SubjectKind::ServiceAccount => "service account",
        SubjectKind::Group => "group",
    }
}

/// How a rule reads in one line: "Read Only on project Vision".
fn describe(rule: &RuleView) -> String {
    format!(
        "{} on {}",
        rule.permission.label(),
        match (&rule.object, &rule.object_name) {
            (None, _) => plural(rule.resource).to_lowercase(),
            (Some(_), Some(n)) => format!("{} {n}", kind_label(rule.resource).to_lowercase()),
            (Some(id), None) => format!(
                "{} {id} (deleted)",
                kind_label(rule.resource).to_lowercase()
            ),
        }
    )
}

#[component]
pub fn AccessRulesPage() -> impl IntoView {
    let session = expect_context::<SessionCtx>();
    if !session.is_admin() {
        return view! { <SectionHeader section=Section::AccessRules/><AdminsOnly/> }.into_any();
    }
    let save = ServerAction::<api::access_rules::Save>::new();
    let delete = ServerAction::<api::access_rules::Delete>::new();
    let data = Resource::new_blocking(
        move || (save.version().get(), delete.version().get()),
        |_| api::access_rules::overview(),
    );
    // `Some(None)` adds a rule, `Some(Some(rule))` edits one.
    let editing = RwSignal::new(None::<Option<RuleView>>);
    let deleting = RwSignal::new(None::<RuleView>);
    let error = RwSignal::new(None::<AppError>);
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(())) => deleting.set(None),
        Some(Err(e)) => {
            deleting.set(None);
            error.set(Some(e));
        }
        None => {}
    });
    let view_kind = RwSignal::new(String::new());
    let object_filter = RwSignal::new(String::new());
    let subject_filter = RwSignal::new(String::new());
    let subjects = Signal::derive(move || {
        data.with(|d| match d {
            Some(Ok(o)) => o.subjects.clone(),
            _ => vec![],
        })
    });
    let rules = Signal::derive(move || {
        data.with(|d| match d {
            Some(Ok(o)) => o.rules.clone(),
            _ => vec![],
        })
    });
    let open = move |rule: Option<RuleView>| {
        save.clear();
        editing.set(Some(rule));
    };
    let shown = move |r: &RuleView| {
        let kind = view_kind.get();
        let object = object_filter.get().to_lowercase();
        let subject = subject_filter.get().to_lowercase();
        (kind.is_empty() || r.resource.as_str() == kind)
            && (object.is_empty()
                || r.object_name
                    .as_deref()
                    .unwrap_or(plural(r.resource))
                    .to_lowercase()
                    .contains(&object)
                || r.object.as_deref().is_some_and(|o| o.contains(&object)))
            && (subject.is_empty()
                || r.subjects
                    .iter()
                    .any(|s| s.name.to_lowercase().contains(&subject)))
    };

    view! {
        <SectionHeader section=Section::AccessRules subtitle="Who may read or change projects, tasks, models, dataviews, datasets and queues. Without rules every member reads and changes everything; an object a rule covers (itself, a project above it, or its whole type) is open only to that rule's subjects."/>
        <section class="card" id="access-rules">
            <div class="card-title-row">
                <div>
                    <h2>"Rules"</h2>
                    <p class="muted">"Rules on a project flow down to its sub-projects and everything inside them. Administrators always read and change everything."</p>
                </div>
                <button class="button primary nowrap" id="add-rule" on:click=move |_| open(None)>"+ Add rules"</button>
            </div>
            <div class="filters" id="rule-filters">
                <label>"View"
                    <select id="filter-kind" on:change=move |ev| view_kind.set(event_target_value(&ev))>
                        <option value="">"All resource types"</option>
                        {KINDS.into_iter().map(|k| view! { <option value=k.as_str()>{kind_label(k)}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Target object"
                    <input id="filter-object" type="search" placeholder="Name or id" prop:value=move || object_filter.get()
                        on:input=move |ev| object_filter.set(event_target_value(&ev))/>
                </label>
                <label>"User, group or service account"
                    <input id="filter-subject" type="search" placeholder="Name" prop:value=move || subject_filter.get()
                        on:input=move |ev| subject_filter.set(event_target_value(&ev))/>
                </label>
            </div>
            <ErrorNote error=error/>
            <Transition fallback=|| view! { <Loading/> }>
                {move || data.get().map(|r| match r {
                    Ok(o) if o.rules.is_empty() => view! {
                        <div class="empty-state compact" id="no-rules">
                            <p>"No access rules: every member reads and changes every object."</p>
                            <p class="muted">"Add a rule to keep a project, a queue or a single task to the people and groups it names."</p>
                        </div>
                    }.into_any(),
                    Ok(o) => {
                        let visible: Vec<RuleView> = o.rules.into_iter().filter(|r| shown(r)).collect();
                        if visible.is_empty() {
                            return view! { <p class="muted" id="no-matching-rules">"No rule matches these filters."</p> }.into_any();
                        }
                        view! {
                            <div class="table-wrap">
                                <table class="table" id="rules-table">
                                    <thead><tr><th>"Resource type"</th><th>"Object"</th><th>"Permission"</th><th>"Subjects"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                                    <tbody>
                                        {visible.into_iter().map(|r| {
                                            let r = StoredValue::new(r);
                                            view! {
                                                <tr data-rule=r.with_value(|r| r.id.clone())>
                                                    <td>{r.with_value(|r| kind_label(r.resource))}</td>
                                                    <td class="rule-object">{r.with_value(|r| match (&r.object, &r.object_name) {
                                                        (None, _) => view! { <span class="muted">{plural(r.resource)}</span> }.into_any(),
                                                        (Some(_), Some(n)) => view! { <span>{n.clone()}</span> }.into_any(),
                                                        (Some(id), None) => view! { <span class="muted">{format!("{id} (deleted)")}</span> }.into_any(),
                                                    })}</td>
                                                    <td class="rule-permission">{r.with_value(|r| r.permission.label())}</td>
                                                    <td>
                                                        <ul class="chips rule-subjects">
                                                            {r.with_value(|r| if r.subjects.is_empty() {
                                                                view! { <li class="muted">"Nobody (administrators only)"</li> }.into_any()
                                                            } else {
                                                                r.subjects.iter().map(|s| view! {
                                                                    <li class="chip" title=subject_badge(s.kind)>{s.name.clone()}<span class="badge">{subject_badge(s.kind)}</span></li>
                                                                }).collect_view().into_any()
                                                            })}
                                                        </ul>
                                                    </td>
                                                    <td class="row-buttons">
                                                        <button class="icon-button edit-rule" aria-label=r.with_value(|r| format!("Edit the rule {}", describe(r)))
                                                            on:click=move |_| open(Some(r.get_value()))><PencilIcon/></button>
                                                        <button class="icon-button trash" aria-label=r.with_value(|r| format!("Delete the rule {}", describe(r)))
                                                            on:click=move |_| deleting.set(Some(r.get_value()))><TrashIcon/></button>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
                })}
            </Transition>
        </section>
        <ExplainCard subjects=subjects rules=rules/>
        <RuleDialog editing=editing subjects=subjects save=save/>
        <ConfirmDialog
            open=Signal::derive(move || deleting.with(Option::is_some))
            title="Delete rule"
            message=Signal::derive(move || format!(
                "Delete the rule {}? What it granted goes at once; the object opens to every member unless other rules cover it.",
                deleting.with(|d| d.as_ref().map(describe).unwrap_or_default())
            ))
            confirm_label="Delete"
            pending=delete.pending()
            on_confirm=Callback::new(move |_| if let Some(r) = deleting.get_untracked() { delete.dispatch(api::access_rules::Delete { id: r.id }); })
            on_cancel=Callback::new(move |_| deleting.set(None))
        />
    }
    .into_any()
}

/// An input that finds objects of a kind as you type and picks one.
#[component]
fn ObjectPicker(
    #[prop(into)] kind: Signal<Kind>,
    chosen: RwSignal<Option<ObjectOption>>,
    input_id: &'static str,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let found = Resource::new(
        move || (kind.get(), text.get()),
        |(resource, text)| api::access_rules::find_objects(resource, text),
    );
    let pick = move |o: ObjectOption| {
        chosen.set(Some(o));
        text.set(String::new());
    };
    view! {
        <div class="object-picker">
            {move || chosen.get().map(|o| view! {
                <p class="picked" id=format!("{input_id}-picked")>
                    <span class="chip">{o.name.clone()}</span>
                    <button type="button" class="link-button" on:click=move |_| chosen.set(None)>"Change"</button>
                </p>
            })}
            <Show when=move || chosen.with(Option::is_none)>
                <input id=input_id placeholder="Type a name to find it…" autocomplete="off" prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                    on:keydown=move |ev| if ev.key() == "Enter" {
                        ev.prevent_default();
                        if let Some(Ok(first)) = found.get_untracked().map(|r| r.map(|v| v.into_iter().next())) && let Some(first) = first { pick(first); }
                    }/>
                <ul class="picker-matches" id=format!("{input_id}-matches")>
                    <Transition fallback=|| ()>
                        {move || found.get().map(|r| match r {
                            Ok(v) if v.is_empty() => view! { <li class="muted">"Nothing matches."</li> }.into_any(),
                            Ok(v) => v.into_iter().map(|o| {
                                let chosen_one = o.clone();
                                view! { <li><button type="button" class="link-button" on:click=move |_| pick(chosen_one.clone())>{o.name.clone()}</button></li> }
                            }).collect_view().into_any(),
                            Err(e) => view! { <li class="error-note">{e.user_message()}</li> }.into_any(),
                        })}
                    </Transition>
                </ul>
            </Show>
        </div>
    }
}

#[component]
fn RuleDialog(
    editing: RwSignal<Option<Option<RuleView>>>,
    #[prop(into)] subjects: Signal<Vec<SubjectView>>,
    save: ServerAction<api::access_rules::Save>,
) -> impl IntoView {
    let kind = RwSignal::new(Kind::Project);
    let all = RwSignal::new(false);
    let object = RwSignal::new(None::<ObjectOption>);
    let permission = RwSignal::new(Level::Read);
    let chosen = RwSignal::new(Vec::<SubjectView>::new());
    let filter = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(r) = editing.get() {
            kind.set(r.as_ref().map_or(Kind::Project, |r| r.resource));
            all.set(r.as_ref().is_some_and(|r| r.object.is_none()));
            object.set(r.as_ref().and_then(|r| {
                r.object.clone().map(|id| ObjectOption {
                    name: r.object_name.clone().unwrap_or_else(|| id.clone()),
                    id,
                })
            }));
            permission.set(r.as_ref().map_or(Level::Read, |r| r.permission));
            chosen.set(r.as_ref().map(|r| r.subjects.clone()).unwrap_or_default());
            filter.set(String::new());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            editing.set(None);
        }
    });
    let matches = Signal::derive(move || {
        let f = filter.get().to_lowercase();
        let picked: Vec<String> = chosen.with(|c| c.iter().map(|s| s.id.clone()).collect());
        subjects
            .get()
            .into_iter()
            .filter(|s| !picked.contains(&s.id))
            .filter(|s| f.is_empty() || s.name.to_lowercase().contains(&f))
            .take(8)
            .collect::<Vec<_>>()
    });
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let title = Signal::derive(move || {
        if editing.with(|e| matches!(e, Some(Some(_)))) {
            "Edit rule"
        } else {
            "Add rule"
        }
    });
    view! {
        <Dialog open=Signal::derive(move || editing.with(Option::is_some)) title="Access rule" on_close=Callback::new(move |_| editing.set(None))>
            <form class="dialog-body form" id="rule-form" on:submit=move |ev| {
                ev.prevent_default();
                let id = editing.get_untracked().flatten().map(|r| r.id);
                let rule = RuleInput {
                    resource: kind.get_untracked(),
                    object: if all.get_untracked() { None } else { object.get_untracked().map(|o| o.id) },
                    permission: permission.get_untracked(),
                    subjects: chosen.get_untracked().into_iter().map(|s| SubjectRef { kind: s.kind, id: s.id }).collect(),
                };
                if rule.object.is_none() && !all.get_untracked() {
                    return;
                }
                save.dispatch(api::access_rules::Save { id, rule });
            }>
                <h3>{move || title.get()}</h3>
                <label for="rule-kind">"Resource type"</label>
                <select id="rule-kind" on:change=move |ev| {
                    if let Some(k) = Kind::parse(&event_target_value(&ev)) { kind.set(k); object.set(None); }
                }>
                    {KINDS.into_iter().map(|k| view! { <option value=k.as_str() selected=move || kind.get() == k>{kind_label(k)}</option> }).collect_view()}
                </select>
                <fieldset class="radio-row">
                    <legend>"Object"</legend>
                    <label><input type="radio" name="rule-scope" id="rule-one" prop:checked=move || !all.get() on:change=move |_| all.set(false)/>" One object"</label>
                    <label><input type="radio" name="rule-scope" id="rule-all" prop:checked=move || all.get() on:change=move |_| all.set(true)/>{move || format!(" {}", plural(kind.get()))}</label>
                </fieldset>
                <Show when=move || !all.get()>
                    <ObjectPicker kind=kind chosen=object input_id="rule-object"/>
                </Show>
                <p class="field-error" id="rule-object-missing" role="alert">
                    {move || (!all.get() && object.with(Option::is_none) && save.value().with(Option::is_some)).then_some("Pick an object, or choose all of them.")}
                </p>
                <label for="rule-permission">"Permission"</label>
                <select id="rule-permission" on:change=move |ev| permission.set(if event_target_value(&ev) == "modify" { Level::Modify } else { Level::Read })>
                    <option value="read" selected=move || permission.get() == Level::Read>"Read Only"</option>
                    <option value="modify" selected=move || permission.get() == Level::Modify>"Read & Modify"</option>
                </select>
                <label for="subject-filter">"Users, service accounts and groups"</label>
                <input id="subject-filter" placeholder="Type a name to add…" autocomplete="off" prop:value=move || filter.get()
                    on:input=move |ev| filter.set(event_target_value(&ev))
                    on:keydown=move |ev| if ev.key() == "Enter" {
                        ev.prevent_default();
                        if let Some(first) = matches.get_untracked().into_iter().next() { chosen.update(|c| c.push(first)); filter.set(String::new()); }
                    }/>
                <ul class="picker-matches" id="subject-matches">
                    {move || matches.get().into_iter().map(|s| {
                        let add = s.clone();
                        view! { <li><button type="button" class="link-button" on:click=move |_| { chosen.update(|c| c.push(add.clone())); filter.set(String::new()); }>
                            {s.name.clone()}<span class="badge">{subject_badge(s.kind)}</span></button></li> }
                    }).collect_view()}
                </ul>
                <ul class="edit-list" id="rule-subjects">
                    {move || chosen.get().into_iter().map(|s| {
                        let id = s.id.clone();
                        view! { <li><span class="member-name">{s.name.clone()}<span class="badge">{subject_badge(s.kind)}</span></span>
                            <button type="button" class="icon-button trash" aria-label=format!("Remove {} from the rule", s.name)
                                on:click=move |_| chosen.update(|c| c.retain(|x| x.id != id))><TrashIcon/></button></li> }
                    }).collect_view()}
                </ul>
                <ErrorNote error=error/>
                <footer class="dialog-footer">
                    <button type="button" class="button ghost" on:click=move |_| editing.set(None)>"Cancel"</button>
                    <button type="submit" class="button primary" id="save-rule" disabled=move || save.pending().get() || (!all.get() && object.with(Option::is_none))>"Save"</button>
                </footer>
            </form>
        </Dialog>
    }
}

/// Why someone has their access, in words, naming the rules.
fn because_text(b: &Because, rules: &[RuleView]) -> String {
    match b {
        Because::Admin => "Administrator: reads and changes everything".into(),
        Because::NoRule => "No rule covers it: every member reads and changes it".into(),
        Because::Rules { granting } if granting.is_empty() => {
            "Rules cover it and name neither them nor their groups".into()
        }
        Because::Rules { granting } => granting
            .iter()
            .map(|(id, _)| {
                let rule = rules.iter().find(|r| &r.id == id);
                match rule {
                    Some(r) => {
                        let whom: Vec<String> = r.subjects.iter().map(|s| s.name.clone()).collect();
                        format!("{} (for {})", describe(r), whom.join(", "))
                    }
                    None => id.clone(),
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn level_class(l: Level) -> &'static str {
    match l {
        Level::None => "level none",
        Level::Read => "level read",
        Level::Modify => "level modify",
    }
}

#[component]
fn ExplainCard(
    #[prop(into)] subjects: Signal<Vec<SubjectView>>,
    #[prop(into)] rules: Signal<Vec<RuleView>>,
) -> impl IntoView {
    let about_person = RwSignal::new(false);
    let kind = RwSignal::new(Kind::Project);
    let object = RwSignal::new(None::<ObjectOption>);
    let person = RwSignal::new(String::new());
    let explain = ServerAction::<api::access_rules::Explain>::new();
    let result = Signal::derive(move || explain.value().get());
    let people = Signal::derive(move || {
        subjects
            .get()
            .into_iter()
            .filter(|s| s.kind != SubjectKind::Group)
            .collect::<Vec<_>>()
    });
    let ask = move || {
        let about = if about_person.get_untracked() {
            let user = person.get_untracked();
            if user.is_empty() {
                return;
            }
            ExplainAbout::Person { user }
        } else {
            let Some(o) = object.get_untracked() else {
                return;
            };
            ExplainAbout::Object {
                resource: kind.get_untracked(),
                id: o.id,
            }
        };
        explain.dispatch(api::access_rules::Explain { about });
    };
    view! {
        <section class="card" id="explain">
            <div class="card-title-row">
                <div>
                    <h2>"Explain access"</h2>
                    <p class="muted">"Who can reach an object and why, or what one person can reach and why — from the same rules the API enforces."</p>
                </div>
            </div>
            <fieldset class="radio-row">
                <legend class="sr-only">"Explain"</legend>
                <label><input type="radio" name="explain-about" id="explain-object" prop:checked=move || !about_person.get() on:change=move |_| { about_person.set(false); explain.clear(); }/>" An object"</label>
                <label><input type="radio" name="explain-about" id="explain-person" prop:checked=move || about_person.get() on:change=move |_| { about_person.set(true); explain.clear(); }/>" A person"</label>
            </fieldset>
            <form class="filters" id="explain-form" on:submit=move |ev| { ev.prevent_default(); ask(); }>
                <Show when=move || !about_person.get() fallback=move || view! {
                    <label>"Member or service account"
                        <select id="explain-user" on:change=move |ev| person.set(event_target_value(&ev))>
                            <option value="">"Choose…"</option>
                            {move || people.get().into_iter().map(|s| view! { <option value=s.id.clone()>{s.name.clone()}{(s.kind == SubjectKind::ServiceAccount).then_some(" (service account)")}</option> }).collect_view()}
                        </select>
                    </label>
                }>
                    <label>"Resource type"
                        <select id="explain-kind" on:change=move |ev| if let Some(k) = Kind::parse(&event_target_value(&ev)) { kind.set(k); object.set(None); }>
                            {KINDS.into_iter().map(|k| view! { <option value=k.as_str()>{kind_label(k)}</option> }).collect_view()}
                        </select>
                    </label>
                    <div class="explain-object">
                        <span class="label">"Object"</span>
                        <ObjectPicker kind=kind chosen=object input_id="explain-object-name"/>
                    </div>
                </Show>
                <button type="submit" class="button" id="explain-go" disabled=move || explain.pending().get()>"Explain"</button>
            </form>
            {move || result.get().map(|r| match r {
                Ok(e) => explanation_table(e, about_person.get_untracked(), rules.get()).into_any(),
                Err(e) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone()))/> }.into_any(),
            })}
        </section>
    }
}

fn explanation_table(e: Explanation, about_person: bool, rules: Vec<RuleView>) -> impl IntoView {
    let covering = e.covering.len();
    view! {
        {(!about_person).then(|| view! {
            <p class="muted" id="explain-covering">{if covering == 0 {
                "No rule covers this object.".to_string()
            } else {
                format!("{covering} rule{} cover{} this object.", if covering == 1 { "" } else { "s" }, if covering == 1 { "s" } else { "" })
            }}</p>
        })}
        <div class="table-wrap">
            <table class="table" id="explain-table">
                <thead><tr><th>{if about_person { "Object" } else { "Who" }}</th><th>"Type"</th><th>"Access"</th><th>"Why"</th></tr></thead>
                <tbody>
                    {e.reach.into_iter().map(|r| view! {
                        <tr data-reach=r.id.clone()>
                            <td>{r.name.clone()}</td>
                            <td class="muted">{r.kind.replace('_', " ")}</td>
                            <td><span class=level_class(r.level)>{r.level.label()}</span></td>
                            <td class="small">{because_text(&r.because, &rules)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
