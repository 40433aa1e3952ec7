//! The marketplace end to end with two providers: the administrator admits a provider and
//! its first users; its pricing staff put a product in the catalogue and contract it with
//! Boxtel; Boxtel's casemanager compares the offers of both providers in one service and
//! orders from both; each provider's staff accept and register delivery; each provider's
//! finance runs its own invoices. Numbering is independent per provider, neither provider
//! sees the other's records, and each UBL names its own seller (and passes the official
//! rules under both CEN versions in CI).

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::harness::*;
use crate::ordering::{register, BSN_A};
use crate::registration::{boxtel_last_year, last_year};
// `renditions::save_for_validation` writes each UBL for the official validator in CI.

const NEW_PROVIDER: &str = "ARBEIDSFIT";
const NEW_PRICING: &str = "prijzen@arbeidsfit.example";
const NEW_FINANCE: &str = "financien@arbeidsfit.example";
const NEW_STAFF: &str = "consulent@arbeidsfit.example";
const NEW_PRODUCT: &str = "AF-JOBCOACH-UUR";

async fn ok(reply: Reply, want: Status) -> Value {
    assert_eq!(reply.status, want, "{}", reply.body);
    reply.json()
}

#[rocket::async_test]
async fn two_providers_each_sell_deliver_and_invoice_in_their_own_books() {
    let app = TestApp::new().await;
    let y = last_year();
    let admin = app.login_as(ADMIN).await;

    // Admission and the first users.
    let provider = ok(
        app.post_json(
            &admin,
            "/api/v1/providers",
            &json!({"code": NEW_PROVIDER, "name": "ArbeidsFit Zuid B.V.", "kvk": "76543210",
                    "vat_number": "NL765432109B01", "peppol_id": {"scheme": "0106", "id": "76543210"},
                    "iban": "NL81RABO0312345678", "intake_email": "intake@arbeidsfit.example",
                    "invoice_email": "facturen@arbeidsfit.example", "street": "Markt 1",
                    "postcode": "5211 JX", "city": "'s-Hertogenbosch"}),
        )
        .await,
        Status::Created,
    )
    .await;
    assert_eq!(provider["status"], "active");
    for (email, role) in [
        (NEW_PRICING, "pricing"),
        (NEW_FINANCE, "finance"),
        (NEW_STAFF, "provider_staff"),
    ] {
        ok(
            app.post_json(
                &admin,
                "/api/v1/users",
                &json!({"email": email, "name": format!("Test {role}"), "role": role,
                        "provider": NEW_PROVIDER, "password": PASSWORD}),
            )
            .await,
            Status::Created,
        )
        .await;
    }

    // The catalogue: a jobcoaching product of the new provider, in the service WSD's
    // JOBCOACH-UUR is in.
    let wsd_product = ok(
        app.get(&admin, "/api/v1/products/JOBCOACH-UUR").await,
        Status::Ok,
    )
    .await;
    let service = wsd_product["service"]
        .as_str()
        .expect("WSD's jobcoaching has a service")
        .to_string();
    let new_pricing = app.login_as(NEW_PRICING).await;
    let product = ok(
        app.post_json(
            &new_pricing,
            "/api/v1/products",
            &json!({"code": NEW_PRODUCT, "name": "Jobcoaching op de werkvloer", "summary": "Coaching per uur.",
                    "description": "Een jobcoach begeleidt de medewerker op de werkplek.", "domain": "participatie",
                    "service": service, "target_groups": ["bijstand"], "goal": "Duurzaam werk.",
                    "output": "Uren coaching.", "proof": "Urenregistratie.", "duration_weeks": 26,
                    "variant": "inspanning", "unit": "uur", "vat_category": "exempt",
                    "vat_exemption_reason": "Vrijgesteld: re-integratie (art. 11 Wet OB)",
                    "prices": [{"valid_from": format!("{y}-01-01"), "amount": "79.00"}]}),
        )
        .await,
        Status::Created,
    )
    .await;
    assert_eq!(product["provider"], NEW_PROVIDER);

    // Contracts: WSD's and the new provider's, both with Boxtel for last year.
    let wsd_contract = boxtel_last_year(&app).await;
    let contract = ok(
        app.post_json(
            &new_pricing,
            "/api/v1/contracts",
            &json!({"municipality": "GM0757", "valid_from": format!("{y}-01-01"), "valid_to": format!("{}-12-31", y + 1)}),
        )
        .await,
        Status::Created,
    )
    .await;
    assert_eq!(contract["provider"], NEW_PROVIDER);
    let contract_id = contract["id"].as_str().unwrap().to_string();
    ok(
        app.send_json(
            Method::Put,
            &new_pricing,
            &format!("/api/v1/contracts/{contract_id}/lines/{NEW_PRODUCT}"),
            r#"{"price":"77.50"}"#,
            &[],
        )
        .await,
        Status::Ok,
    )
    .await;
    ok(
        app.send_json(
            Method::Patch,
            &new_pricing,
            &format!("/api/v1/contracts/{contract_id}"),
            r#"{"status":"active"}"#,
            &[],
        )
        .await,
        Status::Ok,
    )
    .await;
    // WSD's pricing does not see the new provider's contract, nor the reverse.
    let wsd_pricing = app.login_as(PRICING).await;
    assert_eq!(
        app.get(&wsd_pricing, &format!("/api/v1/contracts/{contract_id}"))
            .await
            .status,
        Status::NotFound
    );
    assert_eq!(
        app.get(&new_pricing, &format!("/api/v1/contracts/{wsd_contract}"))
            .await
            .status,
        Status::NotFound
    );

    // Compare: today's offers in the service hold both providers' jobcoaching (WSD's under
    // the demo contract of this year, the new provider's under its contract), each at the
    // price of its own provider's contract with Boxtel.
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let offers = ok(
        app.get(&cm, &format!("/api/v1/offers?service={service}"))
            .await,
        Status::Ok,
    )
    .await;
    let offers = offers["items"].as_array().unwrap().clone();
    let new_offer = offers
        .iter()
        .find(|o| o["product_code"] == NEW_PRODUCT)
        .unwrap_or_else(|| panic!("{NEW_PRODUCT} not offered: {offers:?}"));
    assert_eq!(new_offer["provider"]["code"], NEW_PROVIDER);
    assert_eq!(new_offer["contract_price"], "77.50");
    assert!(
        offers.iter().any(|o| o["provider"]["code"] == "WSD"),
        "{offers:?}"
    );
    assert!(
        offers.iter().all(|o| o["service"] == service.as_str()),
        "{offers:?}"
    );
    // Order from both: one trajectory per provider.
    let client = register(&app, &cm, BSN_A, "J. de Vries").await;
    let mut trajectories = Vec::new();
    for code in ["JOBCOACH-UUR", NEW_PRODUCT] {
        let placed = ok(
            app.post_json(
                &cm,
                "/api/v1/trajectories",
                &json!({"client_id": client, "lines": [{"product_code": code, "start_date": format!("{y}-02-01"),
                        "quantity": "20", "frequency": "total"}]}),
            )
            .await,
            Status::Created,
        )
        .await;
        trajectories.push(placed);
    }
    assert_eq!(trajectories[0]["provider"], "WSD");
    assert_eq!(trajectories[1]["provider"], NEW_PROVIDER);
    // A trajectory mixing both providers is refused, naming both.
    let mixed = app
        .post_json(
            &cm,
            "/api/v1/trajectories",
            &json!({"client_id": client, "lines": [
                {"product_code": "JOBCOACH-UUR", "start_date": format!("{y}-02-01"), "quantity": "1", "frequency": "total"},
                {"product_code": NEW_PRODUCT, "start_date": format!("{y}-02-01"), "quantity": "1", "frequency": "total"}]}),
        )
        .await;
    assert_eq!(mixed.status, Status::UnprocessableEntity, "{}", mixed.body);
    assert!(
        mixed.body.contains("WSD") && mixed.body.contains(NEW_PROVIDER),
        "{}",
        mixed.body
    );

    // Each provider's staff accept and register 6 hours in February; neither sees the
    // other's trajectory.
    let staff = [app.login_as(WSD_STAFF).await, app.login_as(NEW_STAFF).await];
    for (i, t) in trajectories.iter().enumerate() {
        let id = t["id"].as_str().unwrap();
        let other = &staff[1 - i];
        assert_eq!(
            app.get(other, &format!("/api/v1/trajectories/{id}"))
                .await
                .status,
            Status::NotFound
        );
        ok(
            app.post_json(
                &staff[i],
                &format!("/api/v1/trajectories/{id}/accept"),
                &json!({}),
            )
            .await,
            Status::Ok,
        )
        .await;
        let line = t["lines"][0]["id"].as_str().unwrap();
        assert_eq!(
            app.post_json(
                other,
                &format!("/api/v1/trajectory-lines/{line}/deliveries"),
                &json!({"period": format!("{y}-02"), "quantity": "6"})
            )
            .await
            .status,
            Status::NotFound
        );
        ok(
            app.post_json(
                &staff[i],
                &format!("/api/v1/trajectory-lines/{line}/events"),
                &json!({"kind": "start", "date": format!("{y}-02-01")}),
            )
            .await,
            Status::Created,
        )
        .await;
        ok(
            app.post_json(
                &staff[i],
                &format!("/api/v1/trajectory-lines/{line}/deliveries"),
                &json!({"period": format!("{y}-02"), "quantity": "6"}),
            )
            .await,
            Status::Created,
        )
        .await;
    }

    // Each provider's finance runs February and finalises: both start their own series.
    let finance = [app.login_as(FINANCE).await, app.login_as(NEW_FINANCE).await];
    let mut invoices = Vec::new();
    for (i, f) in finance.iter().enumerate() {
        let reply = app
            .post_json(
                f,
                "/api/v1/invoice-runs",
                &json!({"period": format!("{y}-02")}),
            )
            .await;
        assert!(matches!(reply.status.code, 200 | 201), "{}", reply.body);
        let run = reply.json();
        let drafts = run["invoices"].as_array().unwrap();
        assert_eq!(drafts.len(), 1, "{run}");
        let id = drafts[0]["invoice_id"].as_str().unwrap().to_string();
        let finalised = ok(
            app.send_json(
                Method::Post,
                f,
                &format!("/api/v1/invoices/{id}/finalise"),
                "",
                &[],
            )
            .await,
            Status::Ok,
        )
        .await;
        invoices.push((id, finalised, i));
    }
    let (wsd_invoice, wsd_final, _) = &invoices[0];
    let (new_invoice, new_final, _) = &invoices[1];
    let issued = {
        use chrono::Datelike;
        chrono::Local::now().date_naive().year()
    };
    assert_eq!(
        wsd_final["number"],
        format!("{issued}-000001"),
        "{wsd_final}"
    );
    assert_eq!(
        new_final["number"],
        format!("{NEW_PROVIDER}-{issued}-000001"),
        "{new_final}"
    );
    assert_eq!(wsd_final["provider"], "WSD");
    assert_eq!(new_final["provider"], NEW_PROVIDER);
    // 6 × 87.50 and 6 × 77.50.
    assert_eq!(wsd_final["net"], "525.00");
    assert_eq!(new_final["net"], "465.00");
    // Neither finance sees the other's invoice.
    assert_eq!(
        app.get(&finance[0], &format!("/api/v1/invoices/{new_invoice}"))
            .await
            .status,
        Status::NotFound
    );
    assert_eq!(
        app.get(&finance[1], &format!("/api/v1/invoices/{wsd_invoice}"))
            .await
            .status,
        Status::NotFound
    );
    let listed: Vec<Value> = app.all_items(&finance[1], "/api/v1/invoices").await;
    assert!(
        listed.iter().all(|i| i["provider"] == NEW_PROVIDER),
        "{listed:?}"
    );

    // The audit log of the new provider's finance holds only what its own people did.
    let audit = app.all_items(&finance[1], "/api/v1/audit-events").await;
    assert!(!audit.is_empty());
    for event in &audit {
        let actor = event["actor"].as_str().unwrap();
        assert!(actor.contains("@arbeidsfit.example"), "{event}");
    }

    // The seller in each UBL is its own provider.
    for (id, _, i) in &invoices {
        let ubl = app
            .get_bytes(&finance[*i], &format!("/api/v1/invoices/{id}/ubl"), &[])
            .await;
        let xml = String::from_utf8(ubl.body.clone()).unwrap();
        let (kvk, iban) = if *i == 0 {
            ("17091234", "NL91ABNA0417164300")
        } else {
            ("76543210", "NL81RABO0312345678")
        };
        let supplier = &xml[xml.find("<cac:AccountingSupplierParty>").unwrap()
            ..xml.find("</cac:AccountingSupplierParty>").unwrap()];
        assert!(supplier.contains(kvk), "{supplier}");
        assert!(xml.contains(iban));
        crate::renditions::save_for_validation(
            &format!("marketplace-{}", if *i == 0 { "wsd" } else { "arbeidsfit" }),
            &xml,
        );
    }
}
