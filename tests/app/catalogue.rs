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
        "code": "TEST-TRAJECT", "name": "Testtraject", "summary": "Kort.", "description": "Lang.",
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
    assert!(page.body.contains("price.add"), "audit event shown");
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
