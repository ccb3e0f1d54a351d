//! Drawing `top`: a header, the connector table or one connector's drill-down, and a footer with
//! the keys (or the confirmation question). Server text goes through [`esc`] like everywhere
//! else, so a connector name or trace cannot move the cursor.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TableRow, Table, TableState, Wrap};

use super::app::{App, Mode, Row};
use crate::output::esc_text;

fn esc(s: &str) -> String {
    esc_text(s).into_owned()
}

fn state_style(state: &str, color: bool) -> Style {
    if !color {
        return Style::default();
    }
    match state {
        "RUNNING" | "HEALTHY" => Style::default().fg(Color::Green),
        "FAILED" => Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        "DEGRADED" | "UNASSIGNED" | "RESTARTING" => Style::default().fg(Color::Yellow),
        "PAUSED" | "STOPPED" => Style::default().fg(Color::Blue),
        _ => Style::default(),
    }
}

pub fn draw(f: &mut Frame<'_>, app: &App, color: bool) {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(2),
    ])
    .areas(f.area());
    let visible = app.visible();
    let mut head = format!(
        "connectctl top  {}  {} connectors",
        esc(&app.url),
        app.rows.len()
    );
    if !app.filter.is_empty() || app.mode == Mode::Filter {
        head.push_str(&format!(
            " ({} shown, filter: {})",
            visible.len(),
            esc(&app.filter)
        ));
    }
    head.push_str(&format!(
        "  sort: {}{}  every {}  {}",
        app.sort.label(),
        if app.reverse { " (reversed)" } else { "" },
        app.interval_label,
        app.refreshed.as_deref().unwrap_or("loading")
    ));
    f.render_widget(
        Paragraph::new(head).style(Style::default().add_modifier(Modifier::BOLD)),
        header,
    );

    let detail_of = match &app.mode {
        Mode::Detail(name) => Some(name.clone()),
        Mode::Confirm { back, .. } => match back.as_ref() {
            Mode::Detail(name) => Some(name.clone()),
            _ => None,
        },
        _ => None,
    };
    match detail_of.as_deref().and_then(|n| app.row(n)) {
        Some(row) => draw_detail(f, app, row, body, color),
        None if detail_of.is_some() => f.render_widget(
            Paragraph::new("the connector is gone (deleted?): Esc goes back to the list"),
            body,
        ),
        None => draw_table(f, app, &visible, body, color),
    }

    let mut lines = Vec::new();
    match &app.mode {
        Mode::Confirm { op, name, .. } => lines.push(Line::from(Span::styled(
            format!("{} connector {}? (y/n)", op.verb(), esc(name)),
            Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED),
        ))),
        Mode::Filter => lines.push(Line::from(format!(
            "filter: {}_   (Enter keeps it, Esc clears it; matches names, or a state/health/type word)",
            esc(&app.filter)
        ))),
        _ => lines.push(Line::from(
            app.message
                .as_deref()
                .map(esc)
                .or_else(|| app.kafka_note.as_deref().map(|n| format!("kafka: {}", esc(n))))
                .unwrap_or_default(),
        )),
    }
    lines.push(Line::from(match &app.mode {
        Mode::Detail(_) => "Esc back  p pause  u resume  r restart  d reload DLQ summary  space refresh  q quit",
        _ => "↑↓ move  Enter details  / filter  s sort  S reverse  p pause  u resume  r restart  space refresh  q quit",
    }).style(Style::default().add_modifier(Modifier::DIM)));
    f.render_widget(Paragraph::new(lines), footer);
}

fn num(v: Option<u64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

fn draw_table(
    f: &mut Frame<'_>,
    app: &App,
    visible: &[&Row],
    area: ratatui::layout::Rect,
    color: bool,
) {
    let header = TableRow::new(
        [
            "NAME",
            "TYPE",
            "STATE",
            "HEALTH",
            "TASKS",
            "REC/S",
            "LAG",
            "DLQ",
            "ROOT CAUSE",
        ]
        .map(|h| Cell::from(h).style(Style::default().add_modifier(Modifier::BOLD))),
    );
    let rows = visible.iter().map(|r| {
        let m = app.metrics.get(&r.name);
        let health = r.health.map(|h| h.as_str()).unwrap_or("-");
        let dlq = match m.and_then(|m| m.dlq) {
            None => "-".to_owned(),
            Some(n) => match m.and_then(|m| m.dlq_growth).filter(|g| *g > 0) {
                Some(g) => format!("{n} (+{g})"),
                None => n.to_string(),
            },
        };
        let cause = r
            .first_cause()
            .map(|c| {
                let simple = c.exception.rsplit('.').next().unwrap_or("");
                esc(&format!(
                    "{simple}: {}",
                    c.message.lines().next().unwrap_or("")
                ))
            })
            .unwrap_or_default();
        TableRow::new(vec![
            Cell::from(esc(&r.name)),
            Cell::from(r.kind.clone()),
            Cell::from(r.state.clone()).style(state_style(&r.state, color)),
            Cell::from(health.to_owned()).style(state_style(health, color)),
            Cell::from(r.tasks_cell()),
            Cell::from(
                m.and_then(|m| m.rate)
                    .map_or_else(|| "-".to_owned(), |v| format!("{v:.1}")),
            ),
            Cell::from(num(m.and_then(|m| m.lag))),
            Cell::from(dlq),
            Cell::from(cause),
        ])
    });
    let widths = [
        Constraint::Min(24),
        Constraint::Length(6),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(12),
        Constraint::Fill(2),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .row_highlight_style(Style::default().add_modifier(Modifier::REVERSED))
        .highlight_symbol("> ")
        .block(Block::default().borders(Borders::TOP));
    let mut state = TableState::default().with_selected(Some(app.selected));
    if visible.is_empty() {
        state.select(None);
    }
    f.render_stateful_widget(table, area, &mut state);
    if visible.is_empty() {
        let inner = ratatui::layout::Rect {
            y: area.y + 2,
            height: 1,
            ..area
        };
        let text = if app.rows.is_empty() {
            "no connectors"
        } else {
            "no connector matches the filter"
        };
        f.render_widget(Paragraph::new(text), inner);
    }
}

fn draw_detail(f: &mut Frame<'_>, app: &App, row: &Row, area: ratatui::layout::Rect, color: bool) {
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let mut lines = vec![
        Line::from(vec![
            Span::styled(esc(&row.name), bold),
            Span::raw(format!("  {}  ", row.kind)),
            Span::styled(row.state.clone(), state_style(&row.state, color)),
            Span::raw("  health "),
            Span::styled(
                row.health.map(|h| h.as_str()).unwrap_or("-").to_owned(),
                state_style(row.health.map(|h| h.as_str()).unwrap_or("-"), color),
            ),
            Span::raw(format!("  worker {}", esc(&row.worker))),
        ]),
        Line::from(""),
        Line::from(Span::styled("Tasks", bold)),
    ];
    if row.tasks.is_empty() {
        lines.push(Line::from("  none"));
    }
    for t in &row.tasks {
        lines.push(Line::from(vec![
            Span::raw(format!("  task {:<3} ", t.id)),
            Span::styled(format!("{:<10}", t.state), state_style(&t.state, color)),
            Span::raw(format!(" {}", esc(&t.worker))),
        ]));
    }
    let causes = row
        .root_cause
        .iter()
        .map(|c| ("connector".to_owned(), c))
        .chain(
            row.tasks
                .iter()
                .filter_map(|t| t.root_cause.as_ref().map(|c| (format!("task {}", t.id), c))),
        );
    for (who, c) in causes {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            format!("Root cause ({who})"),
            bold,
        )));
        lines.push(Line::from(format!(
            "  {}: {}",
            esc(&c.exception),
            esc(c.message.lines().next().unwrap_or(""))
        )));
        if let Some(frame) = &c.frame {
            lines.push(Line::from(format!("  at {}", esc(frame))));
        }
        match &c.hint {
            Some(h) => {
                lines.push(Line::from(format!(
                    "  hint ({}, {}): {}",
                    h.id,
                    if h.transient {
                        "transient"
                    } else {
                        "configuration or data error"
                    },
                    esc(&h.summary)
                )));
                lines.push(Line::from(format!("  fix: {}", esc(&h.fix))));
            }
            None => lines.push(Line::from(
                "  no hint: the catalog does not know this cause",
            )),
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Dead letter queue", bold)));
    match &row.dlq_topic {
        None => lines.push(Line::from(
            "  none configured (errors.deadletterqueue.topic.name)",
        )),
        Some(topic) => {
            let m = app.metrics.get(&row.name);
            lines.push(Line::from(format!(
                "  {}: {} records{}",
                esc(topic),
                num(m.and_then(|m| m.dlq)),
                m.and_then(|m| m.dlq_growth)
                    .filter(|g| *g > 0)
                    .map(|g| format!(", +{g} since the last refresh"))
                    .unwrap_or_default()
            )));
            match app.dlq_views.get(&row.name) {
                None if app.kafka_note.is_some() => {
                    lines.push(Line::from("  no summary: Kafka is not reachable"))
                }
                None => lines.push(Line::from("  reading the summary...")),
                Some(v) => {
                    if let Some(e) = &v.error {
                        lines.push(Line::from(format!("  cannot read it: {}", esc(e))));
                    } else if v.groups.is_empty() {
                        lines.push(Line::from("  empty"));
                    } else {
                        let of = if v.scanned >= 10_000 {
                            format!(" (first {} records)", v.scanned)
                        } else {
                            String::new()
                        };
                        lines.push(Line::from(format!("  by cause{of}:")));
                        for (count, stage, exception, message) in v.groups.iter().take(8) {
                            lines.push(Line::from(format!(
                                "  {count:>7}  {}  {}: {}",
                                esc(stage),
                                esc(exception.rsplit('.').next().unwrap_or("")),
                                esc(message.lines().next().unwrap_or(""))
                            )));
                        }
                    }
                }
            }
        }
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::default().borders(Borders::TOP)),
        area,
    );
}
