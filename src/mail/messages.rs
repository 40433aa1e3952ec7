//! The Dutch e-mails plusmarkt sends: about trajectories (a link to the trajectory, never a
//! BSN or a client's name) and with invoices. Each is a pair of askama templates in
//! src/mail/templates/, a text part and an HTML part (escaped); the subject and the opening
//! sentence are chosen here. The snapshots in src/mail/snapshots/ show every message.

use super::{Attachment, OutgoingMessage};

/// What happened to a trajectory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrajectoryNews {
    New,
    Changed,
    Accepted,
    Rejected,
    Started,
    Completed,
}

/// The facts a message may carry.
pub struct TrajectoryFacts<'a> {
    pub number: &'a str,
    pub municipality: &'a str,
    pub products: &'a [String],
    pub detail: Option<&'a str>,
    pub link: String,
}

/// The two parts of a trajectory e-mail (src/mail/templates/trajectory_news.*).
#[derive(askama::Template)]
#[template(path = "trajectory_news.txt")]
struct TrajectoryText<'a> {
    opening: &'a str,
    products: &'a [String],
    detail: Option<&'a str>,
    link: &'a str,
}

#[derive(askama::Template)]
#[template(path = "trajectory_news.html")]
struct TrajectoryHtml<'a> {
    opening: &'a str,
    products: &'a [String],
    detail: Option<&'a str>,
    link: &'a str,
}

/// The two parts of an invoice e-mail (src/mail/templates/invoice_sent.*).
#[derive(askama::Template)]
#[template(path = "invoice_sent.txt")]
struct InvoiceText<'a> {
    kind: &'a str,
    number: &'a str,
    seller: &'a str,
    period: &'a str,
    total: &'a str,
}

#[derive(askama::Template)]
#[template(path = "invoice_sent.html")]
struct InvoiceHtml<'a> {
    kind: &'a str,
    number: &'a str,
    seller: &'a str,
    period: &'a str,
    total: &'a str,
}

/// Renders one part. The templates only print strings, which cannot fail to format; should
/// one fail all the same, the part is left empty and the failure logged.
fn render(template: &impl askama::Template) -> String {
    template.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "e-mail template failed");
        String::new()
    })
}

pub fn trajectory_message(
    news: TrajectoryNews,
    to: &str,
    facts: &TrajectoryFacts<'_>,
) -> OutgoingMessage {
    let (subject, opening) = wording(news, facts);
    let text = render(&TrajectoryText {
        opening: &opening,
        products: facts.products,
        detail: facts.detail,
        link: &facts.link,
    });
    let html = render(&TrajectoryHtml {
        opening: &opening,
        products: facts.products,
        detail: facts.detail,
        link: &facts.link,
    });
    OutgoingMessage {
        to: to.to_string(),
        subject,
        text,
        html,
        attachments: Vec::new(),
        related_entity: Some("trajectory".into()),
        related_id: Some(facts.number.to_string()),
    }
}

/// The subject and the opening sentence of a trajectory e-mail.
fn wording(news: TrajectoryNews, facts: &TrajectoryFacts<'_>) -> (String, String) {
    match news {
        TrajectoryNews::New => (
            format!(
                "Nieuw traject {} van gemeente {}",
                facts.number, facts.municipality
            ),
            format!(
                "Gemeente {} heeft traject {} aangevraagd. Het staat in de intake-inbox.",
                facts.municipality, facts.number
            ),
        ),
        TrajectoryNews::Changed => (
            format!("Traject {} is gewijzigd", facts.number),
            format!(
                "Gemeente {} heeft traject {} gewijzigd.",
                facts.municipality, facts.number
            ),
        ),
        TrajectoryNews::Accepted => (
            format!("Traject {} is geaccepteerd", facts.number),
            format!("WSD heeft traject {} geaccepteerd.", facts.number),
        ),
        TrajectoryNews::Rejected => (
            format!("Traject {} is afgewezen", facts.number),
            format!("WSD heeft traject {} afgewezen.", facts.number),
        ),
        TrajectoryNews::Started => (
            format!("Traject {} is gestart", facts.number),
            format!("WSD is gestart met traject {}.", facts.number),
        ),
        TrajectoryNews::Completed => (
            format!("Traject {} is afgerond", facts.number),
            format!("WSD heeft traject {} afgerond.", facts.number),
        ),
    }
}

/// The facts of an invoice or credit note sent to a municipality.
pub struct InvoiceFacts<'a> {
    pub credit_note: bool,
    pub number: &'a str,
    pub seller: &'a str,
    pub period: &'a str,
    /// The total including VAT, as shown (`€ 1.234,56`).
    pub total: &'a str,
}

/// The e-mail that carries a final invoice (or credit note) and its attachments.
pub fn invoice_message(
    to: &str,
    facts: &InvoiceFacts<'_>,
    attachments: Vec<Attachment>,
    invoice_id: &str,
) -> OutgoingMessage {
    let kind = if facts.credit_note {
        "Creditnota"
    } else {
        "Factuur"
    };
    let kind_lower = kind.to_lowercase();
    let text = render(&InvoiceText {
        kind: &kind_lower,
        number: facts.number,
        seller: facts.seller,
        period: facts.period,
        total: facts.total,
    });
    let html = render(&InvoiceHtml {
        kind: &kind_lower,
        number: facts.number,
        seller: facts.seller,
        period: facts.period,
        total: facts.total,
    });
    OutgoingMessage {
        to: to.to_string(),
        subject: format!("{kind} {} van {}", facts.number, facts.seller),
        text,
        html,
        attachments,
        related_entity: Some("invoice".into()),
        related_id: Some(invoice_id.to_string()),
    }
}

/// The two parts of a password reset e-mail (src/mail/templates/password_reset_mail.*).
#[derive(askama::Template)]
#[template(path = "password_reset_mail.txt")]
struct ResetText<'a> {
    name: &'a str,
    link: &'a str,
    until: &'a str,
}

#[derive(askama::Template)]
#[template(path = "password_reset_mail.html")]
struct ResetHtml<'a> {
    name: &'a str,
    link: &'a str,
    until: &'a str,
}

/// The one-time link to choose a new password, sent when an administrator asks for it.
/// `until` is the expiry as the reader sees it ("8 december 2026 14:00").
pub fn password_reset_message(
    to: &str,
    name: &str,
    user_id: &str,
    link: &str,
    until: &str,
) -> OutgoingMessage {
    OutgoingMessage {
        to: to.to_string(),
        subject: "Kies een nieuw wachtwoord voor plusmarkt".into(),
        text: render(&ResetText { name, link, until }),
        html: render(&ResetHtml { name, link, until }),
        attachments: Vec::new(),
        related_entity: Some("user".into()),
        related_id: Some(user_id.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_dutch_escaped_and_link_to_the_trajectory() {
        let products = vec!["Werkfit <intensief>".to_string()];
        let m = trajectory_message(
            TrajectoryNews::Rejected,
            "km@boxtel.example",
            &TrajectoryFacts {
                number: "T2026-000001",
                municipality: "Boxtel",
                products: &products,
                detail: Some("Reden: vol"),
                link: "http://x/trajecten/1".into(),
            },
        );
        assert_eq!(m.subject, "Traject T2026-000001 is afgewezen");
        assert!(m.text.contains("Reden: vol") && m.text.contains("http://x/trajecten/1"));
        // askama escapes with numeric references.
        assert!(m.html.contains("Werkfit &#60;intensief&#62;"));
        assert!(!m.html.contains("<intensief>"));
    }

    fn shown(m: &OutgoingMessage) -> String {
        format!(
            "To: {}\nSubject: {}\nAttachments: {:?}\n\n--- text ---\n{}--- html ---\n{}--- end ---",
            m.to,
            m.subject,
            m.attachments
                .iter()
                .map(|a| a.filename.as_str())
                .collect::<Vec<_>>(),
            m.text,
            m.html
        )
    }

    /// Every message with fixed facts: a change of wording shows in review as a change of
    /// its snapshot (src/mail/snapshots/).
    #[test]
    fn every_trajectory_message_as_sent() {
        let products = [
            "Werkfit <intensief>".to_string(),
            "Jobcoaching & nazorg".to_string(),
        ];
        for (name, news, products, detail) in [
            ("new", TrajectoryNews::New, &products[..], None),
            ("changed", TrajectoryNews::Changed, &products[..1], None),
            ("accepted", TrajectoryNews::Accepted, &[][..], None),
            (
                "rejected",
                TrajectoryNews::Rejected,
                &products[..1],
                Some("Reden: woont buiten de regio"),
            ),
            ("started", TrajectoryNews::Started, &[][..], None),
            (
                "completed",
                TrajectoryNews::Completed,
                &products[..],
                Some("Uitkomst: geplaatst in regulier werk"),
            ),
        ] {
            let m = trajectory_message(
                news,
                "casemanager@boxtel.example",
                &TrajectoryFacts {
                    number: "T2030-000042",
                    municipality: "Boxtel",
                    products,
                    detail,
                    link: "https://plusmarkt.wsd.example/trajecten/0193a4b2?x=1&y=2".into(),
                },
            );
            insta::assert_snapshot!(format!("trajectory_{name}"), shown(&m));
        }
    }

    #[test]
    fn the_invoice_message_as_sent() {
        for (name, credit_note, number, total) in [
            ("invoice", false, "WSD2030-00017", "€ 12.345,67"),
            ("credit_note", true, "WSD2030-00018", "€ -1.200,00"),
        ] {
            let m = invoice_message(
                "facturen@boxtel.example",
                &InvoiceFacts {
                    credit_note,
                    number,
                    seller: "WSD (demo)",
                    period: "2030-03",
                    total,
                },
                vec![Attachment {
                    filename: format!("{number}.pdf"),
                    content_type: "application/pdf".into(),
                    bytes: b"%PDF".to_vec(),
                }],
                "inv-1",
            );
            assert_eq!(m.related_id.as_deref(), Some("inv-1"));
            insta::assert_snapshot!(name, shown(&m));
        }
    }
}
