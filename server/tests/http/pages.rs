//! The console's pages: sign-in first, administrators' pages and navigation for administrators only.

use axum::http::{StatusCode, header};

use crate::common::router::{App, get};
use crate::common::site::{Console, on_sqlite};

#[tokio::test]
async fn anonymous_visitors_are_sent_to_log_in_and_back() {
    on_sqlite(async |app: App| {
        let (s, headers, _) = app.send(get("/settings/audit-log?x=1", None)).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert_eq!(
            headers[header::LOCATION],
            "/login?next=/settings/audit-log%3Fx%3D1"
        );
    })
    .await
}

#[tokio::test]
async fn administrators_see_their_navigation() {
    on_sqlite(async |w: Console| {
        let (s, _, body) = w.app.send(get("/settings/profile", Some(&w.admin))).await;
        assert_eq!(s, 200);
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains("ada@example.com") && html.contains("Administrator Settings"));
    })
    .await
}

#[tokio::test]
async fn administrators_pages_refuse_members_without_showing_the_navigation() {
    on_sqlite(async |w: Console| {
        let (s, _, body) = w.app.send(get("/settings/users", Some(&w.member))).await;
        assert_eq!(s, 403);
        assert!(String::from_utf8_lossy(&body).contains("Administrators only"));
        assert!(
            !String::from_utf8_lossy(&body).contains("Administrator Settings"),
            "no admin navigation for members"
        );
    })
    .await
}

#[tokio::test]
async fn an_unknown_page_is_404() {
    on_sqlite(async |w: Console| {
        let (s, _, _) = w.app.send(get("/no/such/page", Some(&w.admin))).await;
        assert_eq!(s, 404);
    })
    .await
}

/// A page renders while other routers are built in the same process (the tests build many):
/// building one runs the whole app with resource loading suppressed for the whole process, so a
/// page whose first resource was polled meanwhile used to wait forever.
#[tokio::test]
async fn pages_render_while_other_routers_are_built() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    on_sqlite(async |app: App| {
        let stop = Arc::new(AtomicBool::new(false));
        let builder = {
            let (stop, services) = (stop.clone(), app.services.clone());
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let mut built = 0;
                while !stop.load(Ordering::Relaxed) {
                    rt.block_on(async { drop(App::over(services.clone())) });
                    built += 1;
                }
                built
            })
        };
        for _ in 0..40 {
            let rendered = tokio::time::timeout(
                std::time::Duration::from_secs(20),
                app.send(get("/login", None)),
            )
            .await
            .expect("the login page rendered while routers were built");
            assert_eq!(rendered.0, StatusCode::OK);
        }
        stop.store(true, Ordering::Relaxed);
        assert!(builder.join().unwrap() > 0);
    })
    .await
}

/// What a page hands the browser to hydrate with is what its resources read, never an error of
/// the rendering itself. The server renders a section more than once (the frame's session is read
/// first); the browser takes the first rendering's values, and that rendering is let go before it
/// is written out, so a read still running then must not lose the request's context
/// ("no-services"). Every section, many times, as an administrator of a fresh workspace, where
/// every read succeeds.
#[tokio::test]
async fn every_section_hands_the_browser_its_data_and_never_a_lost_context() {
    use app::pages::settings::Section;
    on_sqlite(async |w: Console| {
        for section in Section::ALL {
            for round in 0..12 {
                let (s, _, body) = w.app.send(get(section.path(), Some(&w.admin))).await;
                assert_eq!(s, 200, "{}", section.path());
                let html = String::from_utf8_lossy(&body);
                // `__RESOLVED_RESOURCES[n] = "<the value as JSON in a string>";`, one each.
                let errors: Vec<&str> = html
                    .split("__RESOLVED_RESOURCES[")
                    .skip(1)
                    .map(|value| value.split("\";").next().unwrap_or(value))
                    .filter(|value| value.contains("{\\\"Err\\\""))
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{} (round {round}) hands the browser an error: {errors:?}",
                    section.path()
                );
            }
        }
    })
    .await
}
