//! What a new user sees first (issue 27): municipalities by their name, not their GM code,
//! on the start page and in the contract list.

use crate::harness::*;

#[rocket::async_test]
async fn the_start_page_names_the_casemanagers_municipality() {
    let app = TestApp::new().await;
    let cm = app.login_as(CASEMANAGER_BOXTEL).await;
    let page = app.get(&cm, "/").await;
    assert!(
        page.body
            .contains("voor de gemeente <strong>Boxtel</strong>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("GM0757"), "{}", page.body);
}

#[rocket::async_test]
async fn the_contract_list_names_each_municipality() {
    let app = TestApp::new().await;
    let pricing = app.login_as(PRICING).await;
    let page = app.get(&pricing, "/prijzen/contracten").await;
    let table = page
        .body
        .split("<tbody>")
        .nth(1)
        .and_then(|rest| rest.split("</tbody>").next())
        .expect("a table of contracts");
    assert!(table.contains("<td>Boxtel</td>"), "{table}");
    assert!(table.contains("<td>Sint-Michielsgestel</td>"), "{table}");
    assert!(!table.contains("GM0"), "{table}");
}

#[rocket::async_test]
async fn the_user_list_names_municipalities_and_providers() {
    let app = TestApp::new().await;
    let admin = app.login_as(ADMIN).await;
    let page = app.get(&admin, "/beheer/gebruikers").await;
    let table = page
        .body
        .split("<tbody>")
        .nth(1)
        .and_then(|rest| rest.split("</tbody>").next())
        .expect("a table of users");
    assert!(table.contains("<td>Boxtel</td>"), "{table}");
    assert!(table.contains("<td>Werkpad Brabant B.V.</td>"), "{table}");
    assert!(!table.contains("GM0757"), "{table}");
}
