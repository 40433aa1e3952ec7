//! The Dutch e-mails plusmarkt sends about trajectories: text and HTML parts, a link to
//! the trajectory, never a BSN or a client's name.

use super::OutgoingMessage;

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

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub fn trajectory_message(
    news: TrajectoryNews,
    to: &str,
    facts: &TrajectoryFacts<'_>,
) -> OutgoingMessage {
    let (subject, opening) = match news {
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
    };
    let mut text = format!("Goedendag,\n\n{opening}\n");
    let mut html = format!("<p>Goedendag,</p>\n<p>{}</p>\n", escape(&opening));
    if !facts.products.is_empty() {
        text.push_str("\nProducten:\n");
        html.push_str("<ul>\n");
        for p in facts.products {
            text.push_str(&format!("- {p}\n"));
            html.push_str(&format!("<li>{}</li>\n", escape(p)));
        }
        html.push_str("</ul>\n");
    }
    if let Some(detail) = facts.detail {
        text.push_str(&format!("\n{detail}\n"));
        html.push_str(&format!("<p>{}</p>\n", escape(detail)));
    }
    text.push_str(&format!(
        "\nBekijk het traject: {}\n\nMet vriendelijke groet,\nplusmarkt (WSD)\n",
        facts.link
    ));
    html.push_str(&format!(
        "<p><a href=\"{0}\">Bekijk het traject</a></p>\n<p>Met vriendelijke groet,<br>plusmarkt (WSD)</p>\n",
        escape(&facts.link)
    ));
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
        assert!(m.html.contains("Werkfit &lt;intensief&gt;"));
    }
}
