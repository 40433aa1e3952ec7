//! Property tests of the parsers at the edges (the domain rules have theirs in src/domain):
//! any JSON body to the order and product parsers, any text to the product TOML parser and
//! the catalogue reader, and CSV-like fields to the money, quantity and period parsers.
//! Each answers Ok or a typed error and never panics; over HTTP, never a server error.

use std::collections::BTreeSet;

use plusmarkt::api::trajectories::OrderRequest;
use plusmarkt::domain::catalogue::{parse_product_toml, product_to_toml, validate};
use plusmarkt::domain::money::Money;
use plusmarkt::domain::period::{parse_date, Period};
use plusmarkt::domain::quantity::Quantity;
use plusmarkt::services::ordering::OrderDraft;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};

use crate::harness::*;

/// Strings shaped like what the fields hold, and their near misses.
fn text_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{4}-[0-9]{2}-[0-9]{2}",
        "[0-9]{1,4}-[0-9]{1,3}(-[0-9]{1,3})?",
        "[0-9]{1,6}([.,][0-9]{0,4})?",
        "[-+]?[0-9]{1,30}([.,][0-9]{1,30})?([eE][-+]?[0-9]{1,3})?",
        "[A-Z]{2,8}(-[A-Z0-9]{1,8}){0,3}",
        prop::sample::select(vec![
            "REI-WERKFIT",
            "JOBCOACH-UUR",
            "PLANREGIE-MAAND",
            "DAGB-DAGDEEL",
            "week",
            "month",
            "total",
            "",
            " ",
            "0",
            "-1",
            "50",
            "100",
            "output",
            "inspanning",
            "traject",
            "uur",
            "dagdeel",
            "stuk",
            "maand",
            "exempt",
            "standard",
            "participatie",
            "active",
            "retired",
            "bijstand",
            "jongeren",
            "start",
            "afronding",
            "NaN",
            "∞",
            "1e400",
        ])
        .prop_map(str::to_string),
        "\\PC{0,24}",
        "\\PC{0,6}[é€ß\u{202e}\u{0}\u{7f}\n\"'\\\\]\\PC{0,6}",
    ]
}

/// A JSON leaf: mostly field-shaped strings, sometimes the wrong type.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => text_like().prop_map(Value::String),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(|n| json!(n)),
        1 => any::<f64>().prop_map(|f| json!(f)),
    ]
}

/// Any JSON value at all.
fn any_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object with these fields, each present or not, holding mostly strings.
fn object(fields: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::collection::vec(
        prop::option::weighted(
            0.85,
            prop_oneof![9 => text_like().prop_map(Value::String), 1 => leaf()],
        ),
        fields.len(),
    )
    .prop_map(move |values| {
        let mut map = Map::new();
        for (name, value) in fields.iter().zip(values) {
            if let Some(value) = value {
                map.insert((*name).to_string(), value);
            }
        }
        Value::Object(map)
    })
}

fn order_body() -> impl Strategy<Value = Value> {
    const LINE: &[&str] = &[
        "product_code",
        "start_date",
        "end_date",
        "quantity",
        "frequency",
        "budget",
    ];
    prop_oneof![
        6 => (
            object(&["client_id", "buyer_reference"]),
            prop::collection::vec(object(LINE), 0..5),
        )
            .prop_map(|(mut order, lines)| {
                order["lines"] = Value::Array(lines);
                order
            }),
        1 => any_json(),
    ]
}

fn product_body() -> impl Strategy<Value = Value> {
    const FIELDS: &[&str] = &[
        "code",
        "name",
        "summary",
        "description",
        "domain",
        "goal",
        "output",
        "proof",
        "variant",
        "unit",
        "vat_category",
        "vat_exemption_reason",
        "status",
    ];
    prop_oneof![
        6 => (
            object(FIELDS),
            prop::collection::vec(text_like(), 0..4),
            prop_oneof![any::<i64>(), 0i64..200],
            prop::collection::vec(object(&["name", "share"]), 0..4),
            prop::collection::vec(object(&["valid_from", "amount"]), 0..3),
        )
            .prop_map(|(mut p, groups, weeks, milestones, prices)| {
                p["target_groups"] = json!(groups);
                p["duration_weeks"] = json!(weeks);
                p["milestones"] = Value::Array(milestones);
                p["prices"] = Value::Array(prices);
                p
            }),
        1 => any_json(),
    ]
}

/// An order parses, or is refused naming each bad field of an existing line; no line is
/// dropped silently. Most generated bodies must reach `parse_order` (not stop at serde).
#[test]
fn any_order_body_parses_or_names_its_bad_fields() {
    let reached = std::cell::Cell::new(0usize);
    let accepted = std::cell::Cell::new(0usize);
    let cases = 500;
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::with_cases(cases)
    });
    runner
        .run(&order_body(), |body| {
            let Ok(request) = serde_json::from_value::<OrderRequest>(body) else {
                return Ok(());
            };
            reached.set(reached.get() + 1);
            let count = request.lines.len();
            match OrderDraft::from(request).parse() {
                Ok(order) => {
                    accepted.set(accepted.get() + 1);
                    prop_assert_eq!(order.lines.len(), count);
                }
                Err(e) => {
                    prop_assert!(!e.field_errors().is_empty(), "{e}");
                    for f in e.field_errors() {
                        let index: usize = f
                            .field
                            .strip_prefix("lines[")
                            .and_then(|rest| rest.split(']').next())
                            .and_then(|i| i.parse().ok())
                            .unwrap_or(usize::MAX);
                        prop_assert!(index < count, "{}: {}", f.field, f.message);
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "orders: {cases} bodies, {} reached parse_order, {} parsed",
        reached.get(),
        accepted.get()
    );
    assert!(
        reached.get() * 5 >= cases as usize,
        "only {} reached parse_order",
        reached.get()
    );
    assert!(accepted.get() > 0, "no valid order generated");
}

proptest! {
    #![proptest_config(Config::with_cases(1000))]

    /// Money, quantities, periods and dates from CSV-like lines (decimal commas, thousands
    /// dots, euro signs, quotes, blanks): Ok or an error, and what parses prints back the same.
    #[test]
    fn csv_like_fields_never_panic_the_parsers(line in prop::collection::vec(
        prop_oneof![
            text_like(),
            "(€ ?)?-?[0-9]{1,3}(\\.[0-9]{3}){0,4}(,[0-9]{1,3})?",
            "\"[^\"]{0,12}\"",
            " {0,2}[0-9]{1,7}([.,][0-9]{1,5})? {0,2}",
        ],
        1..12,
    ).prop_map(|fields| fields.join(";"))) {
        for separator in [';', ',', '\t'] {
            for field in line.split(separator) {
                let field = field.trim_matches('"');
                if let Ok(m) = Money::parse(field) {
                    prop_assert_eq!(Money::parse(&m.to_string()), Ok(m));
                }
                let _ = Money::parse_non_negative(field);
                if let Ok(q) = Quantity::parse(field) {
                    prop_assert_eq!(Quantity::parse(&q.to_string()), Ok(q));
                }
                if let Ok(p) = Period::parse(field) {
                    prop_assert_eq!(Period::parse(&p.to_string()), Ok(p));
                }
                let _ = parse_date(field);
            }
        }
    }
}

fn known_target_groups() -> plusmarkt::domain::catalogue::Known {
    let set =
        |items: &[&str]| -> BTreeSet<String> { items.iter().map(|s| s.to_string()).collect() };
    plusmarkt::domain::catalogue::Known {
        target_groups: set(&[
            "bijstand",
            "nugger",
            "jongeren",
            "wsw",
            "beschut",
            "lks",
            "statushouder",
            "wmo",
            "jeugd",
            "werkgever",
        ]),
        providers: set(&["WSD"]),
        services: set(&["werkfit"]),
    }
}

fn real_product_file() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("catalogue/products/REI-WERKFIT.toml"),
    )
    .unwrap()
}

/// A text with a random edit: a range cut out, random text put in, or both.
fn mutated(original: String) -> impl Strategy<Value = String> {
    let len = original.len();
    (0..=len, 0..=len, "\\PC{0,12}|[\\[\\]=\"\\n#.0-9-]{0,6}").prop_map(move |(a, b, insert)| {
        let (from, to) = (a.min(b), a.max(b).min(a.min(b) + 40));
        let from = (0..=from)
            .rev()
            .find(|i| original.is_char_boundary(*i))
            .unwrap_or(0);
        let to = (to..=len)
            .find(|i| original.is_char_boundary(*i))
            .unwrap_or(len);
        format!("{}{insert}{}", &original[..from], &original[to..])
    })
}

proptest! {
    #![proptest_config(Config::with_cases(400))]

    /// A product file: Ok or findings with lines; a valid one prints back to the same product.
    #[test]
    fn any_product_toml_parses_or_is_refused(text in prop_oneof![
        "\\PC{0,200}",
        mutated(real_product_file()),
    ]) {
        if let Ok(raw) = parse_product_toml(&text) {
            if let Ok(spec) = validate(&raw, &known_target_groups()) {
                let again = parse_product_toml(&product_to_toml(&spec))
                    .map_err(|f| TestCaseError::fail(format!("{f:?}")))?;
                let again = validate(&again, &known_target_groups())
                    .map_err(|f| TestCaseError::fail(format!("{f:?}")))?;
                prop_assert_eq!(again, spec);
            }
        }
    }
}

proptest! {
    #![proptest_config(Config::with_cases(32))]

    /// The catalogue reader on a folder with a damaged file: Ok or file errors, never a panic.
    #[test]
    fn a_damaged_catalogue_folder_is_refused_not_a_panic(
        which in 0usize..3,
        municipalities in mutated(std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogue/municipalities.toml")).unwrap()),
        groups in mutated(std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogue/target_groups.toml")).unwrap()),
        product in mutated(real_product_file()),
    ) {
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogue");
        let dir = std::env::temp_dir().join(format!("plusmarkt-catalogue-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(dir.join("products")).unwrap();
        let original = |name: &str| std::fs::read_to_string(source.join(name)).unwrap();
        std::fs::write(dir.join("municipalities.toml"), if which == 0 { municipalities } else { original("municipalities.toml") }).unwrap();
        std::fs::write(dir.join("target_groups.toml"), if which == 1 { groups } else { original("target_groups.toml") }).unwrap();
        std::fs::write(dir.join("products/REI-WERKFIT.toml"), if which == 2 { product } else { real_product_file() }).unwrap();
        let result = plusmarkt::services::catalogue::read_catalogue(&dir);
        std::fs::remove_dir_all(&dir).ok();
        if let Err(errors) = result {
            prop_assert!(!errors.is_empty());
        }
    }
}

/// The same bodies over HTTP, to the real handlers: never a server error, always problem+json
/// when refused.
#[test]
fn any_body_to_the_order_and_product_endpoints_is_answered_without_a_server_error() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(TestApp::new());
    let casemanager = runtime.block_on(app.login_as(CASEMANAGER_BOXTEL));
    let pricing = runtime.block_on(app.login_as(PRICING));
    let bodies = (
        order_body().prop_map(|v| v.to_string()),
        product_body().prop_map(|v| v.to_string()),
        "\\PC{0,40}",
    );
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::with_cases(64)
    });
    let result = runner.run(&bodies, |(order, product, junk)| {
        runtime.block_on(async {
            for (who, path, body) in [
                (&casemanager, "/api/v1/trajectories", &order),
                (&pricing, "/api/v1/products", &product),
                (&casemanager, "/api/v1/trajectories", &junk),
                (&pricing, "/api/v1/products", &junk),
            ] {
                let reply = app
                    .send_json(rocket::http::Method::Post, who, path, body, &[])
                    .await;
                prop_assert!(
                    reply.status.code < 500,
                    "{path} {body}: {} {}",
                    reply.status,
                    reply.body
                );
                if reply.status.code >= 400 {
                    prop_assert!(reply.is_problem(), "{path} {body}: {}", reply.body);
                }
            }
            Ok(())
        })
    });
    runtime.block_on(async move { drop(app) });
    result.unwrap();
}
