//! The binary as an operator runs it, from a folder outside the checkout: the catalogue is
//! built in, a SQLite URL as people write it creates its file, and a wrong setting stops
//! the start with a message that names it and shows a good value.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "plusmarkt-{name}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The binary in `dir`, with no catalogue folder configured and nothing else from the
/// environment that would change what is tested.
fn plusmarkt(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_plusmarkt"));
    command.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("PLUSMARKT_") || key.starts_with("ROCKET_") {
            command.env_remove(key);
        }
    }
    command
        .env("PLUSMARKT_DEMO_HISTORY", "false")
        .env("PLUSMARKT_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    command.args(args).output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn toml_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            toml_files(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path.strip_prefix(root).unwrap().to_path_buf());
        }
    }
}

fn catalogue_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    toml_files(root, root, &mut files);
    files.sort();
    files
}

#[test]
fn outside_the_checkout_the_built_in_catalogue_is_imported_and_the_sqlite_file_made() {
    let dir = temp_dir("anywhere");
    assert!(!dir.join("catalogue").exists() && !dir.join("Rocket.toml").exists());
    // As people write it: no mode=rwc.
    let url = [("PLUSMARKT_DATABASE_URL", "sqlite://plusmarkt.sqlite")];

    let valid = plusmarkt(&dir, &url, &["catalogue", "validate"]);
    assert!(valid.status.success(), "{}", text(&valid));
    assert!(
        text(&valid).starts_with("de ingebouwde catalogus: geldig"),
        "{}",
        text(&valid)
    );

    // The first start imports the catalogue (and makes the demo users) from the binary.
    let token = plusmarkt(
        &dir,
        &url,
        &["token", "add", "--email", "casemanager@boxtel.example"],
    );
    assert!(token.status.success(), "{}", text(&token));
    assert!(
        text(&token).contains("catalogus geïmporteerd") || dir.join("plusmarkt.sqlite").is_file(),
        "{}",
        text(&token)
    );
    assert!(dir.join("plusmarkt.sqlite").is_file(), "the file was made");

    // The same products as the folder in the checkout: exporting the database gives the
    // folder's files byte for byte.
    let export = plusmarkt(&dir, &url, &["catalogue", "export", "out"]);
    assert!(export.status.success(), "{}", text(&export));
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogue");
    let expected = catalogue_files(&shipped);
    assert!(expected.len() > 5, "{expected:?}");
    assert_eq!(catalogue_files(&dir.join("out")), expected);
    for file in &expected {
        assert!(
            std::fs::read(shipped.join(file)).unwrap()
                == std::fs::read(dir.join("out").join(file)).unwrap(),
            "{} differs from the built-in catalogue",
            file.display()
        );
    }

    // A lost phone: the command says what it did; an unknown address is an error.
    let reset = plusmarkt(
        &dir,
        &url,
        &["user", "reset-2fa", "--email", "casemanager@boxtel.example"],
    );
    assert!(reset.status.success(), "{}", text(&reset));
    assert!(
        text(&reset).contains("casemanager@boxtel.example had geen tweestapsverificatie"),
        "{}",
        text(&reset)
    );
    let unknown = plusmarkt(
        &dir,
        &url,
        &["user", "reset-2fa", "--email", "niemand@boxtel.example"],
    );
    assert!(!unknown.status.success());
    assert!(
        text(&unknown).contains("geen gebruiker met e-mailadres niemand@boxtel.example"),
        "{}",
        text(&unknown)
    );

    // Importing the built-in catalogue again changes nothing.
    let again = plusmarkt(&dir, &url, &["catalogue", "import"]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        text(&again).starts_with("de ingebouwde catalogus: 0 producten nieuw, 0 gewijzigd"),
        "{}",
        text(&again)
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_configured_catalogue_folder_still_wins_and_errors_name_file_and_line() {
    let dir = temp_dir("catalogue-dir");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogue");
    let own = dir.join("eigen");
    std::fs::create_dir_all(own.join("products")).unwrap();
    for file in catalogue_files(&shipped) {
        std::fs::create_dir_all(own.join(&file).parent().unwrap()).unwrap();
        std::fs::copy(shipped.join(&file), own.join(&file)).unwrap();
    }
    let product = own.join("products/JOBCOACH-UUR.toml");
    let broken = std::fs::read_to_string(&product)
        .unwrap()
        .replace("unit = \"", "unit = \"eeuw");
    std::fs::write(&product, broken).unwrap();
    let env = [
        ("PLUSMARKT_DATABASE_URL", "sqlite:plusmarkt.sqlite"),
        ("PLUSMARKT_CATALOGUE_DIR", own.to_str().unwrap()),
    ];
    let invalid = plusmarkt(&dir, &env, &["catalogue", "validate"]);
    assert!(!invalid.status.success());
    assert!(
        text(&invalid).contains(&format!(
            "{}:",
            own.join("products/JOBCOACH-UUR.toml").display()
        )),
        "{}",
        text(&invalid)
    );
    // The start refuses it too, naming the file and line.
    let start = plusmarkt(&dir, &env, &["migrate"]);
    assert!(start.status.success(), "{}", text(&start));
    assert!(
        dir.join("plusmarkt.sqlite").is_file(),
        "sqlite: without // works too"
    );
    let import = plusmarkt(&dir, &env, &["catalogue", "import"]);
    assert!(!import.status.success());
    assert!(
        text(&import).contains("products/JOBCOACH-UUR.toml:"),
        "{}",
        text(&import)
    );
    std::fs::remove_dir_all(dir).ok();
}

/// The binary refuses to start; what it says on standard error.
fn refused(env: &[(&str, &str)]) -> String {
    let dir = temp_dir("refused");
    let mut all = vec![("PLUSMARKT_DATABASE_URL", "sqlite://plusmarkt.sqlite")];
    all.extend_from_slice(env);
    let output = plusmarkt(&dir, &all, &["serve"]);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(
        !output.status.success(),
        "{env:?} started: {}",
        text(&output)
    );
    // Refused before anything was made.
    assert!(!dir.join("plusmarkt.sqlite").exists(), "{env:?}");
    std::fs::remove_dir_all(dir).ok();
    stderr
}

#[test]
fn an_invalid_rocket_secret_key_stops_the_server_naming_it_and_how_to_make_one() {
    let short = refused(&[("ROCKET_SECRET_KEY", "kort")]);
    assert!(
        short.contains("ROCKET_SECRET_KEY is 4 tekens lang")
            && short.contains("openssl rand -base64 32"),
        "{short}"
    );
    assert!(!short.contains("failed to extract"), "{short}");
    let not_base64 = refused(&[("ROCKET_SECRET_KEY", &"#".repeat(44))]);
    assert!(
        not_base64.contains("ROCKET_SECRET_KEY is geen geldige base64")
            && not_base64.contains("openssl rand -base64 32"),
        "{not_base64}"
    );
}

#[test]
fn every_wrong_setting_stops_the_start_naming_it_with_a_good_value() {
    for (key, value, named, example) in [
        (
            "ROCKET_PORT",
            "achtduizend",
            "ROCKET_PORT",
            "ROCKET_PORT=8000",
        ),
        (
            "ROCKET_ADDRESS",
            "thuis",
            "ROCKET_ADDRESS",
            "ROCKET_ADDRESS=127.0.0.1",
        ),
        (
            "ROCKET_WORKERS",
            "veel",
            "ROCKET_WORKERS",
            "ROCKET_WORKERS=8",
        ),
        (
            "PLUSMARKT_SMTP_PORT",
            "vijf",
            "PLUSMARKT_SMTP_PORT",
            "PLUSMARKT_SMTP_PORT=587",
        ),
        (
            "PLUSMARKT_DEMO",
            "misschien",
            "PLUSMARKT_DEMO",
            "PLUSMARKT_DEMO=false",
        ),
        (
            "PLUSMARKT_BSN_KEY",
            "abc",
            "PLUSMARKT_BSN_KEY",
            "openssl rand -hex 32",
        ),
        (
            "PLUSMARKT_MAIL_FROM",
            "geen adres",
            "PLUSMARKT_MAIL_FROM",
            "plusmarkt@wsd.example",
        ),
        (
            "PLUSMARKT_CATALOGUE_DIR",
            "/bestaat/niet",
            "PLUSMARKT_CATALOGUE_DIR",
            "PLUSMARKT_CATALOGUE_DIR=",
        ),
        (
            "PLUSMARKT_SELLER_IBAN",
            "NL00",
            "PLUSMARKT_SELLER_IBAN",
            "NL91ABNA0417164300",
        ),
        (
            "PLUSMARKT_LOG_FORMAT",
            "xml",
            "PLUSMARKT_LOG_FORMAT",
            "PLUSMARKT_LOG_FORMAT=json",
        ),
        (
            "PLUSMARKT_MFA",
            "verplicht",
            "PLUSMARKT_MFA",
            "PLUSMARKT_MFA=required",
        ),
    ] {
        let said = refused(&[(key, value)]);
        assert!(
            said.contains(named) && said.contains(example),
            "{key}={value}: {said}"
        );
        assert!(!said.contains("panicked"), "{key}={value}: {said}");
    }
    let database = {
        let dir = temp_dir("refused");
        let output = plusmarkt(
            &dir,
            &[(
                "PLUSMARKT_DATABASE_URL",
                "mysql://plusmarkt@localhost/plusmarkt",
            )],
            &["serve"],
        );
        std::fs::remove_dir_all(dir).ok();
        String::from_utf8_lossy(&output.stderr).to_string()
    };
    assert!(
        database.contains("PLUSMARKT_DATABASE_URL")
            && database.contains("sqlite://plusmarkt.sqlite"),
        "{database}"
    );
}
