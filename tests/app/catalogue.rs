//! The dienstenportfolio: files, import/export, the API and the pricing pages.

use std::path::{Path, PathBuf};

use rocket::http::{Method, Status};
use serde_json::json;

use crate::harness::*;

fn shipped() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("catalogue")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "plusmarkt-{name}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in walk(dir) {
        if entry.extension().is_some_and(|e| e == "toml") {
            files.push(entry.strip_prefix(dir).unwrap().to_path_buf());
        }
    }
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn the_shipped_catalogue_is_valid_and_rich_enough() {
    let catalogue =
        plusmarkt::services::catalogue::read_catalogue(&shipped()).unwrap_or_else(|errors| {
            panic!(
                "{}",
                errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
    assert!(catalogue.products.len() >= 24);
    let domains: std::collections::BTreeSet<&str> = catalogue
        .products
        .iter()
        .map(|p| p.domain.as_str())
        .collect();
    assert_eq!(domains.len(), 5, "{domains:?}");
    assert_eq!(catalogue.municipalities.len(), 9);
    let naar_werk = catalogue
        .products
        .iter()
        .find(|p| p.code.as_str() == "REI-NAARWERK")
        .unwrap();
    let names: Vec<&str> = naar_werk
        .milestones
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(names, ["start", "plaatsing", "duurzame_plaatsing"]);
}

#[test]
fn a_broken_copy_fails_with_file_line_and_field() {
    let dir = temp_dir("broken");
    copy_dir(&shipped(), &dir);
    let file = dir.join("products/JOBCOACH-UUR.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("amount = \"75.00\"", "amount = \"75.001\""),
    )
    .unwrap();
    let file2 = dir.join("products/REI-NAARWERK.toml");
    let text2 = std::fs::read_to_string(&file2).unwrap();
    std::fs::write(
        &file2,
        text2.replace("unit = \"traject\"", "unit = \"week\""),
    )
    .unwrap();
    let errors = plusmarkt::services::catalogue::read_catalogue(&dir).unwrap_err();
    let rendered: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    let line_of = |file: &Path, needle: &str| {
        std::fs::read_to_string(file)
            .unwrap()
            .lines()
            .position(|l| l.contains(needle))
            .unwrap()
            + 1
    };
    let expected_price = format!(
        "{}:{}: price[1].amount:",
        file.display(),
        line_of(&file, "75.001")
    );
    assert!(
        rendered.iter().any(|r| r.starts_with(&expected_price)),
        "{rendered:?}"
    );
    let expected_unit = format!("{}:{}: unit:", file2.display(), line_of(&file2, "unit = "));
    assert!(
        rendered.iter().any(|r| r.starts_with(&expected_unit)),
        "{rendered:?}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[rocket::async_test]
async fn export_after_import_reproduces_the_files_byte_for_byte() {
    let app = TestApp::new().await;
    let out = temp_dir("export");
    plusmarkt::services::catalogue::export(&app.db, &out)
        .await
        .unwrap();
    let expected = toml_files(&shipped());
    assert_eq!(toml_files(&out), expected);
    for file in expected {
        let a = std::fs::read(shipped().join(&file)).unwrap();
        let b = std::fs::read(out.join(&file)).unwrap();
        assert!(a == b, "{} differs after export", file.display());
    }
    std::fs::remove_dir_all(out).ok();
}

#[rocket::async_test]
async fn importing_twice_changes_nothing_and_a_changed_price_adds_a_version() {
    let app = TestApp::new().await;
    let system = plusmarkt::auth::Principal::system("test");
    let again = plusmarkt::services::catalogue::import(&app.db, &system, &shipped())
        .await
        .unwrap();
    assert_eq!(
        again.products_added + again.products_updated + again.prices_added + again.prices_changed,
        0,
        "{again}"
    );
    let dir = temp_dir("newprice");
    copy_dir(&shipped(), &dir);
    let file = dir.join("products/JOBCOACH-UUR.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        format!("{text}\n[[price]]\nvalid_from = 2027-01-01\namount = \"78.00\"\n"),
    )
    .unwrap();
    let report = plusmarkt::services::catalogue::import(&app.db, &system, &dir)
        .await
        .unwrap();
    assert_eq!(report.prices_added, 1);
    let admin = app.login_as(FINANCE).await;
    let product = app
        .get(&admin, "/api/v1/products/JOBCOACH-UUR?on=2027-01-01")
        .await
        .json();
    assert_eq!(product["list_price"], "78.00");
    assert_eq!(product["prices"].as_array().unwrap().len(), 3);
    std::fs::remove_dir_all(dir).ok();
}

#[rocket::async_test]
async fn an_import_with_one_bad_file_changes_nothing() {
    let app = TestApp::new().await;
    let dir = temp_dir("atomic");
    copy_dir(&shipped(), &dir);
    let good = dir.join("products/JOBCOACH-UUR.toml");
    let text = std::fs::read_to_string(&good).unwrap();
    std::fs::write(
        &good,
        text.replace("name = \"Jobcoaching\"", "name = \"Jobcoaching nieuw\""),
    )
    .unwrap();
    let bad = dir.join("products/REI-WERKFIT.toml");
    let text = std::fs::read_to_string(&bad).unwrap();
    std::fs::write(
        &bad,
        text.replace("domain = \"participatie\"", "domain = \"zorg\""),
    )
    .unwrap();
    let result = plusmarkt::services::catalogue::import(
        &app.db,
        &plusmarkt::auth::Principal::system("test"),
        &dir,
    )
    .await;
    assert!(result.is_err());
    let stored = plusmarkt::store::catalogue::get(&app.db, "JOBCOACH-UUR")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.spec.name, "Jobcoaching");
    std::fs::remove_dir_all(dir).ok();
}

fn new_product() -> serde_json::Value {
    json!({
        "code": "TEST-TRAJECT", "service": "werkfit", "name": "Testtraject", "summary": "Kort.", "description": "Lang.",
        "domain": "participatie", "target_groups": ["jongeren"], "goal": "Doel.", "output": "Resultaat.",
        "proof": "Bewijs.", "duration_weeks": 12, "variant": "output", "unit": "traject",
        "vat_category": "exempt", "vat_exemption_reason": "Vrijgesteld",
        "milestones": [{"name": "start", "share": "50"}, {"name": "afronding", "share": "50"}],
        "prices": [{"valid_from": "2026-01-01", "amount": "1250.00"}]
    })
}

#[rocket::async_test]
async fn pricing_creates_and_bad_products_answer_422_changing_nothing() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let created = app
        .post_json(&pricing, "/api/v1/products", &new_product())
        .await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (
            json!({"prices": [{"valid_from": "2026-01-01", "amount": "-5.00"}]}),
            "price[0].amount",
        ),
        (
            json!({"prices": [{"valid_from": "2026-01-01", "amount": "12.345"}]}),
            "price[0].amount",
        ),
        (
            json!({"milestones": [{"name": "start", "share": "50"}, {"name": "afronding", "share": "40"}]}),
            "milestone",
        ),
        (json!({"target_groups": ["ouderen"]}), "target_groups"),
        (json!({"unit": "week"}), "unit"),
        (json!({"code": "TEST-TRAJECT"}), "code"),
    ];
    let before = plusmarkt::store::catalogue::all(&app.db)
        .await
        .unwrap()
        .len();
    for (change, field) in cases {
        let mut body = new_product();
        body["code"] = json!("TEST-TWEE");
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let reply = app.post_json(&pricing, "/api/v1/products", &body).await;
        assert_eq!(
            reply.status,
            Status::UnprocessableEntity,
            "{change}: {}",
            reply.body
        );
        let fields: Vec<String> = reply.json()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect();
        assert!(fields.iter().any(|f| f == field), "{change}: {fields:?}");
    }
    assert_eq!(
        plusmarkt::store::catalogue::all(&app.db)
            .await
            .unwrap()
            .len(),
        before
    );
}

#[rocket::async_test]
async fn a_concurrent_edit_with_a_stale_etag_gets_412() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let read = app.get(&pricing, "/api/v1/products/JOBCOACH-UUR").await;
    let etag = read.header("ETag").unwrap().to_string();
    let first = app
        .send_json(
            Method::Patch,
            &pricing,
            "/api/v1/products/JOBCOACH-UUR",
            r#"{"name": "Jobcoaching A"}"#,
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(first.status, Status::Ok, "{}", first.body);
    assert_ne!(first.header("ETag"), Some(etag.as_str()));
    let second = app
        .send_json(
            Method::Patch,
            &pricing,
            "/api/v1/products/JOBCOACH-UUR",
            r#"{"name": "Jobcoaching B"}"#,
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(second.status, Status::PreconditionFailed);
    assert!(second.is_problem());
    let now = app
        .get(&pricing, "/api/v1/products/JOBCOACH-UUR")
        .await
        .json();
    assert_eq!(now["name"], "Jobcoaching A");
    // Adding a price also moves the ETag on.
    let etag = app
        .get(&pricing, "/api/v1/products/JOBCOACH-UUR")
        .await
        .header("ETag")
        .unwrap()
        .to_string();
    let added = app
        .post_json(
            &pricing,
            "/api/v1/products/JOBCOACH-UUR/prices",
            &json!({"valid_from": "2030-01-01", "amount": "80.00"}),
        )
        .await;
    assert_eq!(added.status, Status::Created, "{}", added.body);
    let stale = app
        .send_json(
            Method::Patch,
            &pricing,
            "/api/v1/products/JOBCOACH-UUR",
            r#"{"name": "Jobcoaching C"}"#,
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(stale.status, Status::PreconditionFailed);
}

#[rocket::async_test]
async fn a_price_version_is_never_edited_and_bad_amounts_are_refused() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    for (body, field) in [
        (
            json!({"valid_from": "2026-01-01", "amount": "70.00"}),
            "valid_from",
        ),
        (
            json!({"valid_from": "2031-01-01", "amount": "-1.00"}),
            "amount",
        ),
        (
            json!({"valid_from": "2031-01-01", "amount": "1.001"}),
            "amount",
        ),
        (
            json!({"valid_from": "2031-13-01", "amount": "1.00"}),
            "valid_from",
        ),
    ] {
        let reply = app
            .post_json(&pricing, "/api/v1/products/JOBCOACH-UUR/prices", &body)
            .await;
        assert_eq!(
            reply.status,
            Status::UnprocessableEntity,
            "{body}: {}",
            reply.body
        );
        assert_eq!(reply.json()["errors"][0]["field"], field, "{body}");
    }
    let product = app
        .get(&pricing, "/api/v1/products/JOBCOACH-UUR")
        .await
        .json();
    assert_eq!(product["prices"].as_array().unwrap().len(), 2);
}

#[rocket::async_test]
async fn pricing_staff_find_a_product_schedule_a_price_and_see_history_and_audit() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let list = app
        .get(&pricing, "/prijzen/producten?target_group=jongeren")
        .await;
    assert_eq!(list.status, Status::Ok);
    assert!(
        list.body.contains("WERKACADEMIE-JONGEREN"),
        "jongeren product listed"
    );
    assert!(
        !list.body.contains("DETACHERING-MAAND"),
        "non-jongeren product filtered out"
    );
    let next_month = {
        let today = chrono::Local::now().date_naive();
        let first =
            chrono::NaiveDate::from_ymd_opt(today.year_ce().1 as i32, today.month(), 1).unwrap();
        first.checked_add_months(chrono::Months::new(1)).unwrap()
    };
    let reply = app
        .post_form(
            &pricing,
            "/prijzen/producten/WERKACADEMIE-JONGEREN/tarieven",
            &[
                ("valid_from", &next_month.to_string()),
                ("amount", "1799.95"),
            ],
        )
        .await;
    assert_eq!(reply.status, Status::SeeOther, "{}", reply.body);
    let page = app
        .get(&pricing, "/prijzen/producten/WERKACADEMIE-JONGEREN")
        .await;
    assert!(page.body.contains("€ 1.799,95"), "new price in the history");
    assert!(page.body.contains("gepland"));
    assert!(page
        .body
        .contains(&next_month.format("%d-%m-%Y").to_string()));
    assert!(
        page.body.contains("tarief toegevoegd"),
        "audit event shown, in Dutch"
    );
    assert!(
        !page.body.contains("price.add"),
        "no audit code on the page"
    );
    let audit = app
        .all_items(
            &app.login_as(FINANCE).await,
            "/api/v1/audit-events?entity=product",
        )
        .await;
    let last = audit
        .iter()
        .rev()
        .find(|e| e["action"] == "price.add")
        .unwrap()
        .clone();
    assert_eq!(last["entity_id"], "WERKACADEMIE-JONGEREN");
    assert_eq!(last["after"]["amount"], "1799.95");
    assert_eq!(last["actor"], PRICING);
    // A bad price answers next to the field and adds nothing.
    let bad = app
        .post_form(
            &pricing,
            "/prijzen/producten/WERKACADEMIE-JONGEREN/tarieven",
            &[("valid_from", "morgen"), ("amount", "12,345")],
        )
        .await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    assert!(bad.body.contains("geen geldige datum"));
}

use chrono::Datelike;

#[rocket::async_test]
async fn editing_a_product_in_the_page_and_a_stale_form_is_told() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let form = app
        .get(&pricing, "/prijzen/producten/REI-NAARWERK/bewerken")
        .await;
    assert_eq!(form.status, Status::Ok);
    let version = plusmarkt::store::catalogue::get(&app.db, "REI-NAARWERK")
        .await
        .unwrap()
        .unwrap()
        .version
        .to_string();
    let fields = |name: &'static str, version: String| -> Vec<(&'static str, String)> {
        vec![
            ("version", version),
            ("name", name.to_string()),
            ("summary", "Samenvatting.".into()),
            ("description", "Beschrijving.".into()),
            ("domain", "participatie".into()),
            ("target_groups", "bijstand".into()),
            ("target_groups", "jongeren".into()),
            ("goal", "Werk.".into()),
            ("output", "Plaatsing.".into()),
            ("proof", "Contract.".into()),
            ("duration_weeks", "30".into()),
            ("vat_category", "exempt".into()),
            ("vat_exemption_reason", "Vrijgesteld".into()),
            ("milestone_names", "start".into()),
            ("milestone_shares", "40".into()),
            ("milestone_names", "plaatsing".into()),
            ("milestone_shares", "40".into()),
            ("milestone_names", "duurzame_plaatsing".into()),
            ("milestone_shares", "20".into()),
        ]
    };
    let first = fields("Naar Werk (nieuw)", version.clone());
    let refs: Vec<(&str, &str)> = first.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = app
        .post_form(&pricing, "/prijzen/producten/REI-NAARWERK/bewerken", &refs)
        .await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);
    let stored = plusmarkt::store::catalogue::get(&app.db, "REI-NAARWERK")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.spec.name, "Naar Werk (nieuw)");
    assert_eq!(stored.spec.milestones[0].share.to_string(), "40");
    let stale = fields("Naar Werk (oud)", version);
    let refs: Vec<(&str, &str)> = stale.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = app
        .post_form(&pricing, "/prijzen/producten/REI-NAARWERK/bewerken", &refs)
        .await;
    assert_eq!(refused.status, Status::PreconditionFailed);
    assert!(refused.body.contains("intussen gewijzigd"));
}

#[rocket::async_test]
async fn casemanagers_and_others_are_refused_the_pricing_pages_and_edits() {
    let app = TestApp::new().await;
    for email in [CASEMANAGER_BOXTEL, FINANCE, WSD_STAFF] {
        let who = app.login_as(email).await;
        assert_eq!(
            app.get(&who, "/prijzen/producten").await.status,
            Status::Forbidden,
            "{email}"
        );
        assert_eq!(
            app.get(&who, "/prijzen/producten/REI-WERKFIT/bewerken")
                .await
                .status,
            Status::Forbidden,
            "{email}"
        );
        let reply = app
            .post_json(
                &who,
                "/api/v1/products/REI-WERKFIT/prices",
                &json!({"valid_from": "2031-01-01", "amount": "1.00"}),
            )
            .await;
        assert_eq!(reply.status, Status::Forbidden, "{email}");
        let patch = app
            .send_json(
                Method::Patch,
                &who,
                "/api/v1/products/REI-WERKFIT",
                r#"{"name":"x"}"#,
                &[],
            )
            .await;
        assert_eq!(patch.status, Status::Forbidden, "{email}");
    }
}

#[rocket::async_test]
async fn products_list_filters_and_paginates() {
    let app = TestApp::new().await;
    let finance = app.login_as(FINANCE).await;
    let page = app.get(&finance, "/api/v1/products?limit=10").await.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 10);
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let next = app
        .get(
            &finance,
            &format!("/api/v1/products?limit=10&cursor={cursor}"),
        )
        .await
        .json();
    assert!(
        next["items"][0]["code"].as_str().unwrap() > page["items"][9]["code"].as_str().unwrap()
    );
    let jeugd = app
        .get(&finance, "/api/v1/products?domain=jeugd")
        .await
        .json();
    assert!(jeugd["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["domain"] == "jeugd"));
    let text = app
        .get(&finance, "/api/v1/products?q=jobcoach")
        .await
        .json();
    assert!(text["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["code"] == "JOBCOACH-UUR"));
    let bad = app.get(&finance, "/api/v1/products?limit=0").await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    // Unreadable typed parameters are refused by name, not silently ignored (schemathesis
    // found Rocket's lenient `Option<i64>` taking `limit=9223372036854775808` as absent).
    for (query, field) in [
        ("/api/v1/products?limit=9223372036854775808", "limit"),
        ("/api/v1/products?limit=abc", "limit"),
        ("/api/v1/products?limit=5&limit=6", "limit"),
        ("/api/v1/trajectories?oldest_first=null", "oldest_first"),
        ("/api/v1/contracts?year=2147483648", "year"),
        ("/api/v1/reports/budget?year=1999", "year"),
    ] {
        let bad = app.get(&finance, query).await;
        assert_eq!(bad.status, Status::UnprocessableEntity, "{query}");
        assert_eq!(bad.json()["errors"][0]["field"], field, "{query}");
    }
    let bad = app.get(&finance, "/api/v1/products?on=gisteren").await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn a_kept_product_list_follows_price_changes_and_stays_within_its_municipality() {
    let app = TestApp::new().await;
    let finance = app.login_as(FINANCE).await;
    let pricing = app.login_as(PRICING).await;
    let boxtel = app.login_as(CASEMANAGER_BOXTEL).await;
    let vught = app.login_as(CASEMANAGER_VUGHT).await;
    let url = "/api/v1/products?on=2031-06-01&q=jobcoach";
    let price_of = |page: &serde_json::Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["code"] == "JOBCOACH-UUR")
            .map(|p| p["list_price"].clone())
    };
    // A casemanager's kept list is theirs: Boxtel's answer is never handed to Vught,
    // and Vught still may not ask for Boxtel's contract.
    let own = "/api/v1/products";
    let boxtel_page = app.get(&boxtel, own).await.json();
    let vught_page = app.get(&vught, own).await.json();
    assert_eq!(app.get(&boxtel, own).await.json(), boxtel_page);
    let vught_fresh = {
        // What Vught's list is, computed without anything kept: a new server.
        let fresh = TestApp::new().await;
        let vught = fresh.login_as(CASEMANAGER_VUGHT).await;
        fresh.get(&vught, own).await.json()
    };
    assert_eq!(vught_page, vught_fresh);
    assert_ne!(
        vught_page, boxtel_page,
        "the demo contracts of Boxtel and Vught differ"
    );
    let refused = app
        .get(&vught, "/api/v1/products?contracted_for=GM0757")
        .await;
    assert_eq!(refused.status, Status::NotFound);

    // Asked twice: the second answer comes from the kept rendering and is the same.
    let first = app.get(&finance, url).await.json();
    assert_eq!(app.get(&finance, url).await.json(), first);
    assert_ne!(price_of(&first), Some(json!("99.99")));
    let reply = app
        .post_json(
            &pricing,
            "/api/v1/products/JOBCOACH-UUR/prices",
            &json!({"valid_from": "2031-01-01", "amount": "99.99"}),
        )
        .await;
    assert_eq!(reply.status, Status::Created, "{}", reply.body);
    assert_eq!(
        price_of(&app.get(&finance, url).await.json()),
        Some(json!("99.99"))
    );
}

#[rocket::async_test]
async fn a_price_version_dated_on_or_before_an_order_is_refused() {
    let app = TestApp::new().await;
    crate::ordering::boxtel_2030(&app, "100000.00").await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let client = crate::ordering::register(&app, &cm, crate::ordering::BSN_A, "A. Klant").await;
    let order = json!({"client_id": client, "lines": [{"product_code": "REI-WERKFIT", "start_date": "2030-06-01"}]});
    assert_eq!(
        app.post_json(&cm, "/api/v1/trajectories", &order)
            .await
            .status,
        Status::Created
    );
    let pricing = app.login_as(PRICING).await;
    for date in ["2030-05-01", "2030-06-01"] {
        let reply = app
            .post_json(
                &pricing,
                "/api/v1/products/REI-WERKFIT/prices",
                &json!({"valid_from": date, "amount": "3600.00"}),
            )
            .await;
        assert_eq!(
            reply.status,
            Status::UnprocessableEntity,
            "{date}: {}",
            reply.body
        );
        assert!(
            reply.json()["detail"]
                .as_str()
                .unwrap()
                .contains("01-06-2030"),
            "{}",
            reply.body
        );
    }
    let later = app
        .post_json(
            &pricing,
            "/api/v1/products/REI-WERKFIT/prices",
            &json!({"valid_from": "2030-06-02", "amount": "3600.00"}),
        )
        .await;
    assert_eq!(later.status, Status::Created, "{}", later.body);
}

#[rocket::async_test]
async fn the_product_list_is_gzipped_for_clients_that_accept_it_and_says_so() {
    use std::io::Read;
    let app = TestApp::new().await;
    let boxtel = app.login_as(CASEMANAGER_BOXTEL).await;
    let url = "/api/v1/products?limit=500";
    let plain = app.get(&boxtel, url).await;
    assert_eq!(plain.status, Status::Ok);
    assert_eq!(plain.header("Content-Encoding"), None);
    assert_eq!(plain.header("Vary"), Some("Accept-Encoding"));
    // Twice: the first compresses the kept answer, the second sends what was kept.
    for _ in 0..2 {
        let gzipped = app
            .get_bytes(&boxtel, url, &[("Accept-Encoding", "gzip, deflate, br")])
            .await;
        let body = &gzipped.body;
        assert_eq!(gzipped.status, Status::Ok);
        assert_eq!(gzipped.header("Content-Encoding"), Some("gzip"));
        assert_eq!(gzipped.header("Vary"), Some("Accept-Encoding"));
        assert!(
            body.len() * 3 < plain.body.len(),
            "{} compressed bytes for {} plain",
            body.len(),
            plain.body.len()
        );
        let mut text = String::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_string(&mut text)
            .expect("a gzip body");
        assert_eq!(text, plain.body, "the same answer, compressed");
    }
    // Refused gzip gets the plain answer.
    let refused = app
        .get_bytes(&boxtel, url, &[("Accept-Encoding", "gzip;q=0, identity")])
        .await;
    assert_eq!(refused.header("Content-Encoding"), None);
    assert_eq!(String::from_utf8(refused.body).unwrap(), plain.body);
}

/// "Today" comes from the app's clock: pinned before a price version's first day, the list
/// price is the old one; pinned after it, the new one (the same request, the same data).
#[rocket::async_test]
async fn the_clock_decides_which_price_version_is_current() {
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    let mut seen = Vec::new();
    for today in ["2031-06-30", "2031-07-01"] {
        let app = TestApp::on_date(day(today)).await;
        let pricing = app.login_as(PRICING).await;
        let before = app
            .get(&pricing, "/api/v1/products/JOBCOACH-UUR")
            .await
            .json()["list_price"]
            .clone();
        assert_ne!(before, "99.00");
        let added = app
            .post_json(
                &pricing,
                "/api/v1/products/JOBCOACH-UUR/prices",
                &json!({"valid_from": "2031-07-01", "amount": "99,00"}),
            )
            .await;
        assert_eq!(added.status, Status::Created, "{}", added.body);
        let after = app
            .get(&pricing, "/api/v1/products/JOBCOACH-UUR")
            .await
            .json()["list_price"]
            .clone();
        seen.push((before, after));
    }
    assert_eq!(
        seen[0].1, seen[0].0,
        "on 30 June the new price is not yet current"
    );
    assert_eq!(seen[1].1, "99.00", "from 1 July it is");
}

/// Amounts mean the same in every notation, and "1.234" is refused with what to write instead.
#[rocket::async_test]
async fn amounts_are_read_the_dutch_way_too() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let ambiguous = app
        .post_json(
            &pricing,
            "/api/v1/products/JOBCOACH-UUR/prices",
            &json!({"valid_from": "2031-01-01", "amount": "1.234"}),
        )
        .await;
    assert_eq!(ambiguous.status, Status::UnprocessableEntity);
    let message = ambiguous.json()["errors"][0]["message"].clone();
    assert!(
        message
            .as_str()
            .unwrap()
            .contains("schrijf 1234 of 1234,00"),
        "{message}"
    );
    for (valid_from, amount) in [
        ("2031-01-01", "1.234,50"),
        ("01-02-2031", "1234,50"),
        ("2031-03-01", "€ 1234.50"),
    ] {
        let added = app
            .post_json(
                &pricing,
                "/api/v1/products/JOBCOACH-UUR/prices",
                &json!({"valid_from": valid_from, "amount": amount}),
            )
            .await;
        assert_eq!(added.status, Status::Created, "{amount}: {}", added.body);
    }
    let product = app
        .get(&pricing, "/api/v1/products/JOBCOACH-UUR")
        .await
        .json();
    let prices = product["prices"].as_array().unwrap();
    let new: Vec<_> = prices
        .iter()
        .filter(|p| p["valid_from"].as_str().unwrap() >= "2031-01-01")
        .map(|p| {
            (
                p["valid_from"].as_str().unwrap(),
                p["amount"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        new,
        [
            ("2031-01-01", "1234.50"),
            ("2031-02-01", "1234.50"),
            ("2031-03-01", "1234.50")
        ]
    );
}

// ---- the marketplace: providers, service types, products per provider ----------------

const WERKPAD_PRICING: &str = "prijzen@werkpad.example";

fn read_shipped() -> plusmarkt::services::catalogue::Catalogue {
    plusmarkt::services::catalogue::read_catalogue(&shipped()).unwrap_or_else(|errors| {
        panic!(
            "{}",
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

fn edit_file(dir: &Path, file: &str, from: &str, to: &str) -> PathBuf {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no {from}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    path
}

fn line_in(path: &Path, needle: &str) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in {}", path.display()))
        + 1
}

#[test]
fn every_product_has_a_provider_and_a_shared_service_and_werkpad_competes_with_wsd() {
    let catalogue = read_shipped();
    assert!((10..=20).contains(&catalogue.services.len()));
    let providers: Vec<&str> = catalogue
        .providers
        .iter()
        .map(|p| p.code.as_str())
        .collect();
    assert_eq!(providers, ["WERKPAD", "WSD"]);
    let services_of = |provider: &str| -> std::collections::BTreeSet<String> {
        catalogue
            .products
            .iter()
            .filter(|p| p.provider == provider)
            .map(|p| p.service.clone())
            .collect()
    };
    let wsd = catalogue
        .products
        .iter()
        .filter(|p| p.provider == "WSD")
        .count();
    assert_eq!(wsd, 30);
    let werkpad: Vec<_> = catalogue
        .products
        .iter()
        .filter(|p| p.provider == "WERKPAD")
        .collect();
    assert!((6..=10).contains(&werkpad.len()), "{}", werkpad.len());
    assert!(werkpad.iter().all(|p| p.code.as_str().starts_with("WP-")));
    let shared: Vec<String> = services_of("WERKPAD")
        .intersection(&services_of("WSD"))
        .cloned()
        .collect();
    assert!(shared.len() >= 3, "{shared:?}");
    // At a different price than WSD's product of the same service.
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    let price = |code: &str| {
        catalogue
            .products
            .iter()
            .find(|p| p.code.as_str() == code)
            .and_then(|p| p.price_on(today))
            .unwrap()
    };
    assert_ne!(price("WP-JOBCOACH-UUR"), price("JOBCOACH-UUR"));
    assert_ne!(price("WP-WERKFIT"), price("REI-WERKFIT"));
    let werkpad_provider = &catalogue.providers[0];
    assert_eq!(werkpad_provider.name, "Werkpad Brabant B.V.");
    assert!(werkpad_provider.demo_identifiers);
    assert_eq!(werkpad_provider.peppol_id, werkpad_provider.kvk);
    // WSD's entry is the identity the migration inserted.
    let wsd_provider = &catalogue.providers[1];
    assert_eq!(
        (
            wsd_provider.kvk.as_str(),
            wsd_provider.iban.as_str(),
            wsd_provider.vat_number.as_str()
        ),
        ("17091234", "NL91ABNA0417164300", "NL001234567B01")
    );
}

#[test]
fn broken_services_providers_and_product_references_fail_with_file_line_and_field() {
    let dir = temp_dir("market-broken");
    copy_dir(&shipped(), &dir);
    let services = edit_file(
        &dir,
        "services.toml",
        "code = \"planregie\"",
        "code = \"Plan Regie\"",
    );
    edit_file(
        &dir,
        "services.toml",
        "code = \"jeugd\"",
        "code = \"diagnose\"",
    );
    edit_file(
        &dir,
        "services.toml",
        "name = \"Detachering\"",
        "name = \"\"",
    );
    let providers = edit_file(
        &dir,
        "providers.toml",
        "iban = \"NL44RABO0123456789\"",
        "iban = \"NL45RABO0123456789\"",
    );
    edit_file(
        &dir,
        "providers.toml",
        "kvk = \"87654321\"",
        "kvk = \"8765432\"",
    );
    edit_file(
        &dir,
        "providers.toml",
        "postcode = \"5281 RN\"",
        "postcode = \"528 RN\"",
    );
    edit_file(
        &dir,
        "providers.toml",
        "intake_email = \"intake@wsd.example\"",
        "intake_email = \"intake\"",
    );
    let product_service = edit_file(
        &dir,
        "products/WP-WERKFIT.toml",
        "service = \"werkfit\"",
        "service = \"kapper\"",
    );
    let product_provider = edit_file(
        &dir,
        "products/JOBCOACH-UUR.toml",
        "provider = \"WSD\"",
        "provider = \"ACME\"",
    );
    let errors = plusmarkt::services::catalogue::read_catalogue(&dir).unwrap_err();
    let rendered: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    let expect = |path: &Path, needle: &str, field: &str| {
        let prefix = format!("{}:{}: {field}:", path.display(), line_in(path, needle));
        assert!(
            rendered.iter().any(|r| r.starts_with(&prefix)),
            "expected {prefix} in {rendered:#?}"
        );
    };
    expect(&services, "code = \"Plan Regie\"", "code");
    // The second "diagnose" is the duplicate: the line of the last one.
    let text = std::fs::read_to_string(&services).unwrap();
    let second = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("code = \"diagnose\""))
        .map(|(i, _)| i + 1)
        .nth(1)
        .unwrap();
    assert!(
        rendered
            .iter()
            .any(|r| r.starts_with(&format!("{}:{second}: code:", services.display()))),
        "{rendered:#?}"
    );
    expect(&services, "name = \"\"", "name");
    expect(&providers, "NL45RABO", "iban");
    expect(&providers, "kvk = \"8765432\"", "kvk");
    expect(&providers, "528 RN", "postcode");
    expect(&providers, "intake_email = \"intake\"", "intake_email");
    expect(&product_service, "service = \"kapper\"", "service");
    expect(&product_provider, "provider = \"ACME\"", "provider");
    std::fs::remove_dir_all(dir).ok();
}

#[rocket::async_test]
async fn import_writes_providers_and_services_and_export_gives_them_back() {
    let app = TestApp::new().await;
    let werkpad = plusmarkt::store::providers::get(&app.db, "WERKPAD")
        .await
        .unwrap()
        .expect("Werkpad imported");
    assert_eq!(werkpad.name, "Werkpad Brabant B.V.");
    assert_eq!(werkpad.intake_email, "intake@werkpad.example");
    assert_eq!(
        werkpad.status,
        plusmarkt::domain::provider::ProviderStatus::Active
    );
    let stored = plusmarkt::store::catalogue::get(&app.db, "WP-DIAGNOSE")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.spec.provider.as_str(), stored.spec.service.as_str()),
        ("WERKPAD", "diagnose")
    );
    // A changed provider identity and service name are imported, and exported as written.
    let dir = temp_dir("market-roundtrip");
    copy_dir(&shipped(), &dir);
    edit_file(
        &dir,
        "providers.toml",
        "street = \"Ambachtsweg 14\"",
        "street = \"Ambachtsweg 16\"",
    );
    edit_file(
        &dir,
        "services.toml",
        "name = \"Planregie\"",
        "name = \"Planregie en casusregie\"",
    );
    edit_file(
        &dir,
        "products/WP-WERKFIT.toml",
        "service = \"werkfit\"",
        "service = \"naar-werk\"",
    );
    let system = plusmarkt::auth::Principal::system("test");
    let report = plusmarkt::services::catalogue::import(&app.db, &system, &dir)
        .await
        .unwrap();
    assert_eq!(report.products_updated, 1, "{report}");
    let out = temp_dir("market-export");
    plusmarkt::services::catalogue::export(&app.db, &out)
        .await
        .unwrap();
    for file in toml_files(&dir) {
        let a = std::fs::read(dir.join(&file)).unwrap();
        let b = std::fs::read(out.join(&file)).unwrap();
        assert!(a == b, "{} differs after export", file.display());
    }
    std::fs::remove_dir_all(dir).ok();
    std::fs::remove_dir_all(out).ok();
}

#[rocket::async_test]
async fn products_carry_provider_and_service_and_service_types_are_listed() {
    let app = TestApp::new().await;
    let casemanager = app.login_as(CASEMANAGER_BOXTEL).await;
    let services = app.get(&casemanager, "/api/v1/services").await;
    assert_eq!(services.status, Status::Ok, "{}", services.body);
    let services = services.json();
    let list = services.as_array().unwrap();
    assert!((10..=20).contains(&list.len()));
    assert_eq!(list[0]["code"], "diagnose");
    assert!(!list[0]["name"].as_str().unwrap().is_empty());
    assert!(!list[0]["description"].as_str().unwrap().is_empty());
    assert_eq!(
        app.get(&As::Anonymous, "/api/v1/services").await.status,
        Status::Unauthorized
    );
    let pricing = app.login_as(WERKPAD_PRICING).await;
    let wsd = app
        .get(&pricing, "/api/v1/products/JOBCOACH-UUR")
        .await
        .json();
    assert_eq!(
        (wsd["provider"].as_str(), wsd["service"].as_str()),
        (Some("WSD"), Some("jobcoaching"))
    );
    let own = app
        .get(&pricing, "/api/v1/products/WP-JOBCOACH-UUR")
        .await
        .json();
    assert_eq!(
        (own["provider"].as_str(), own["service"].as_str()),
        (Some("WERKPAD"), Some("jobcoaching"))
    );
    let page = app.get(&pricing, "/api/v1/products?limit=500").await.json();
    let items = page["items"].as_array().unwrap();
    assert!(items.iter().any(|p| p["provider"] == "WERKPAD"));
    assert!(items
        .iter()
        .all(|p| p["service"].as_str().is_some_and(|s| !s.is_empty())));
    let spec = app.get(&As::Anonymous, "/api/v1/openapi.json").await;
    assert!(
        spec.body.contains("/api/v1/services"),
        "services in the OpenAPI document"
    );
}

#[rocket::async_test]
async fn a_provider_changes_only_its_own_products_and_reads_everyone_s() {
    let app = TestApp::new().await;
    let werkpad = app.login_as(WERKPAD_PRICING).await;
    let wsd = app.login_as(PRICING).await;
    assert_eq!(
        app.get(&werkpad, "/api/v1/products/JOBCOACH-UUR")
            .await
            .status,
        Status::Ok
    );
    let before = plusmarkt::store::catalogue::get(&app.db, "JOBCOACH-UUR")
        .await
        .unwrap()
        .unwrap();
    let patched = app
        .send_json(
            Method::Patch,
            &werkpad,
            "/api/v1/products/JOBCOACH-UUR",
            r#"{"name": "Overgenomen"}"#,
            &[],
        )
        .await;
    assert_eq!(patched.status, Status::NotFound, "{}", patched.body);
    let priced = app
        .post_json(
            &werkpad,
            "/api/v1/products/JOBCOACH-UUR/prices",
            &json!({"valid_from": "2031-01-01", "amount": "1.00"}),
        )
        .await;
    assert_eq!(priced.status, Status::NotFound, "{}", priced.body);
    let deleted = app
        .send_json(
            Method::Delete,
            &werkpad,
            "/api/v1/products/JOBCOACH-UUR",
            "",
            &[],
        )
        .await;
    assert_eq!(deleted.status, Status::NotFound, "{}", deleted.body);
    let retired = app
        .post_form(
            &werkpad,
            "/prijzen/producten/JOBCOACH-UUR/vervallen",
            &[("version", &before.version.to_string())],
        )
        .await;
    assert_eq!(retired.status, Status::NotFound);
    assert_eq!(
        app.get(&werkpad, "/prijzen/producten/JOBCOACH-UUR")
            .await
            .status,
        Status::NotFound
    );
    assert_eq!(
        app.get(&werkpad, "/prijzen/producten/JOBCOACH-UUR/bewerken")
            .await
            .status,
        Status::NotFound
    );
    let after = plusmarkt::store::catalogue::get(&app.db, "JOBCOACH-UUR")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.version, before.version);
    assert_eq!(after.spec, before.spec);
    // The other way round too, and each may change its own.
    let other = app
        .send_json(
            Method::Patch,
            &wsd,
            "/api/v1/products/WP-DIAGNOSE",
            r#"{"name": "Overgenomen"}"#,
            &[],
        )
        .await;
    assert_eq!(other.status, Status::NotFound);
    let own = app
        .send_json(
            Method::Patch,
            &werkpad,
            "/api/v1/products/WP-DIAGNOSE",
            r#"{"name": "Startdiagnose", "service": "werkfit"}"#,
            &[],
        )
        .await;
    assert_eq!(own.status, Status::Ok, "{}", own.body);
    assert_eq!(
        (
            own.json()["provider"].as_str(),
            own.json()["service"].as_str()
        ),
        (Some("WERKPAD"), Some("werkfit"))
    );
    let unknown = app
        .send_json(
            Method::Patch,
            &werkpad,
            "/api/v1/products/WP-DIAGNOSE",
            r#"{"service": "kapper"}"#,
            &[],
        )
        .await;
    assert_eq!(unknown.status, Status::UnprocessableEntity);
    assert_eq!(unknown.json()["errors"][0]["field"], "service");
    // The pricing page lists the provider's own products, with their service type.
    let list = app.get(&werkpad, "/prijzen/producten").await;
    assert_eq!(list.status, Status::Ok);
    assert!(list.body.contains("WP-JOBCOACH-UUR") && list.body.contains("Dagbesteding"));
    assert!(
        !list.body.contains("/prijzen/producten/JOBCOACH-UUR\""),
        "WSD's product is not in Werkpad's editor"
    );
    let page = app
        .get(&werkpad, "/prijzen/producten/WP-JOBCOACH-UUR")
        .await;
    assert_eq!(page.status, Status::Ok);
    assert!(page.body.contains("Jobcoaching") && page.body.contains("WERKPAD"));
}

#[rocket::async_test]
async fn a_new_product_belongs_to_the_caller_s_provider_or_the_one_the_admin_names() {
    let app = TestApp::new().await;
    let werkpad = app.login_as(WERKPAD_PRICING).await;
    let admin = app.login_as(ADMIN).await;
    let count = || async {
        plusmarkt::store::catalogue::all(&app.db)
            .await
            .unwrap()
            .len()
    };
    let before = count().await;
    let field_of = |reply: &Reply| -> Vec<String> {
        reply.json()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect()
    };
    // A code another provider uses: 422 on code, naming that provider.
    let mut taken = new_product();
    taken["code"] = json!("JOBCOACH-UUR");
    let reply = app.post_json(&werkpad, "/api/v1/products", &taken).await;
    assert_eq!(reply.status, Status::UnprocessableEntity, "{}", reply.body);
    assert_eq!(field_of(&reply), ["code"]);
    assert!(reply.body.contains("WSD"), "{}", reply.body);
    // No service, an unknown service, another provider named by a pricing user.
    for (change, field) in [
        (json!({"service": null}), "service"),
        (json!({"service": "kapper"}), "service"),
        (json!({"provider": "WSD"}), "provider"),
    ] {
        let mut body = new_product();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let reply = app.post_json(&werkpad, "/api/v1/products", &body).await;
        assert_eq!(
            reply.status,
            Status::UnprocessableEntity,
            "{change}: {}",
            reply.body
        );
        assert!(
            field_of(&reply).iter().any(|f| f == field),
            "{change}: {}",
            reply.body
        );
    }
    // The administrator must name a known provider.
    for provider in [None, Some("ACME")] {
        let mut body = new_product();
        if let Some(p) = provider {
            body["provider"] = json!(p);
        }
        let reply = app.post_json(&admin, "/api/v1/products", &body).await;
        assert_eq!(
            reply.status,
            Status::UnprocessableEntity,
            "{provider:?}: {}",
            reply.body
        );
        assert_eq!(field_of(&reply), ["provider"], "{provider:?}");
    }
    assert_eq!(count().await, before, "nothing written");
    let created = app
        .post_json(&werkpad, "/api/v1/products", &new_product())
        .await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    assert_eq!(created.json()["provider"], "WERKPAD");
    let mut by_admin = new_product();
    by_admin["code"] = json!("TEST-ADMIN");
    by_admin["provider"] = json!("WSD");
    let created = app.post_json(&admin, "/api/v1/products", &by_admin).await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    assert_eq!(created.json()["provider"], "WSD");
    let stored = plusmarkt::store::catalogue::get(&app.db, "TEST-TRAJECT")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.spec.provider.as_str(), stored.spec.service.as_str()),
        ("WERKPAD", "werkfit")
    );
}

#[rocket::async_test]
async fn the_demo_has_two_providers_competing_in_shared_services_for_three_municipalities() {
    use plusmarkt::domain::contract::ContractStatus;
    let app = TestApp::new().await;
    let providers = plusmarkt::store::providers::list(&app.db).await.unwrap();
    assert_eq!(
        providers
            .iter()
            .map(|p| p.code.as_str())
            .collect::<Vec<_>>(),
        ["WERKPAD", "WSD"]
    );
    let werkpad_pricing = plusmarkt::auth::Principal {
        role: plusmarkt::domain::role::Role::Pricing,
        provider: Some("WERKPAD".into()),
        ..plusmarkt::auth::Principal::system("test")
    };
    let contracts = plusmarkt::store::contracts::list(&app.db, &werkpad_pricing, None, None)
        .await
        .unwrap();
    let active: Vec<_> = contracts
        .iter()
        .filter(|c| c.status == ContractStatus::Active)
        .collect();
    let municipalities: std::collections::BTreeSet<&str> = active
        .iter()
        .map(|c| c.municipality_code.as_str())
        .collect();
    assert!(municipalities.len() >= 3, "{municipalities:?}");
    let products = plusmarkt::store::catalogue::all(&app.db).await.unwrap();
    let service_of = |code: &str| {
        products
            .iter()
            .find(|p| p.spec.code.as_str() == code)
            .map(|p| (p.spec.provider.clone(), p.spec.service.clone()))
            .unwrap()
    };
    let wsd_services: std::collections::BTreeSet<String> = products
        .iter()
        .filter(|p| p.spec.provider == "WSD")
        .map(|p| p.spec.service.clone())
        .collect();
    let mut contracted_services = std::collections::BTreeSet::new();
    for c in &active {
        assert_eq!(c.provider_code, "WERKPAD");
        for line in plusmarkt::store::contracts::lines(&app.db, &c.id)
            .await
            .unwrap()
        {
            let (provider, service) = service_of(&line.product_code);
            assert_eq!(provider, "WERKPAD", "{}", line.product_code);
            if wsd_services.contains(&service) {
                contracted_services.insert(service);
            }
        }
    }
    assert!(contracted_services.len() >= 3, "{contracted_services:?}");
    // WSD's contracts hold only WSD's products.
    let wsd_pricing = plusmarkt::auth::Principal {
        provider: Some("WSD".into()),
        ..werkpad_pricing.clone()
    };
    for c in plusmarkt::store::contracts::list(&app.db, &wsd_pricing, None, None)
        .await
        .unwrap()
    {
        for line in plusmarkt::store::contracts::lines(&app.db, &c.id)
            .await
            .unwrap()
        {
            assert_eq!(
                service_of(&line.product_code).0,
                "WSD",
                "{}",
                line.product_code
            );
        }
    }
    // Werkpad's users are bound to Werkpad and listed with the logins.
    for email in [
        "prijzen@werkpad.example",
        "financien@werkpad.example",
        "consulent@werkpad.example",
    ] {
        let user = plusmarkt::store::users::find_by_email(&app.db, email)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(user.provider_code.as_deref(), Some("WERKPAD"), "{email}");
        assert!(plusmarkt::services::demo::demo_logins_text().contains(email));
    }
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    assert!(readme.contains("prijzen@werkpad.example"));
}
