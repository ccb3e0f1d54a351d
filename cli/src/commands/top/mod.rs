//! `connectctl top`: a live full-screen view of every connector (state, health, tasks,
//! throughput and lag where Kafka is reachable, DLQ growth), with sort and filter, a drill-down
//! per connector (tasks, root cause and hint, DLQ summary), and pause/resume/restart behind a
//! confirmation.
//!
//! One expanded request (`/connectors?expand=status&expand=info`) per refresh, so it works over
//! a slow link; the next refresh is not sent before the previous one answered. Kafka figures
//! come from a thread of their own (`kafka.rs`) and never hold the screen up.

mod app;
mod input;
mod kafka;
mod render;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use clap::Args;

use self::app::{App, Effect, Op};
use self::input::Input;
use self::kafka::{Answer, Request};
use super::Ctx;
use super::connector_util::{Listed, list_connectors};
use super::wait::parse_duration;
use crate::client::{Client, ClientError};

#[derive(Debug, Args)]
pub struct TopArgs {
    /// Time between refreshes
    #[arg(long, short = 'n', default_value = "2s", value_parser = parse_duration)]
    pub interval: Duration,
    /// Start with this filter (a part of the name, or a state/health/type word such as FAILED)
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Leave out the Kafka figures (throughput, lag, DLQ) even when Kafka settings are given
    #[arg(long)]
    pub no_kafka: bool,
}

/// What the background tasks report to the loop.
enum Event {
    Listing(Result<Vec<Listed>, ClientError>),
    Done(Op, String, Result<(), ClientError>),
}

pub async fn run(ctx: &Ctx, args: TopArgs) -> anyhow::Result<ExitCode> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(super::usage(anyhow!(
            "top is a full-screen view and needs a terminal; in scripts use `connectctl ls` or \
             `connectctl watch`"
        )));
    }
    if args.interval.is_zero() {
        return Err(super::usage(anyhow!(
            "--interval must be longer than 0, e.g. 2s"
        )));
    }
    let client = Arc::new(ctx.client()?);
    // The first answer before the screen is taken over, so an unreachable cluster or a bad
    // credential is a plain error line rather than a flash of an empty screen.
    let first = list_connectors(&client).await?;
    // Decided once at start from the terminal, NO_COLOR and --no-color (output::init_color).
    let color = colored::control::SHOULD_COLORIZE.should_colorize();
    let mut app = App::new(&ctx.url, humanize(args.interval));
    app.filter = args.filter.unwrap_or_default();
    app.apply_listing(&first, stamp());

    let (kafka_tx, mut kafka_rx) = tokio::sync::mpsc::unbounded_channel::<Answer>();
    let kafka = if args.no_kafka {
        app.kafka_note = Some("off (--no-kafka)".into());
        None
    } else {
        match super::dlq::kafka_config(ctx, Duration::from_secs(5)) {
            Ok(cfg) => Some(kafka::spawn(cfg, kafka_tx)),
            Err(_) => {
                app.kafka_note = Some(
                    "no throughput, lag or DLQ figures: give --bootstrap-servers (or \
                     CONNECTCTL_BOOTSTRAP_SERVERS, or the context's kafka section)"
                        .into(),
                );
                None
            }
        }
    };

    let mut terminal =
        ratatui::try_init().map_err(|e| anyhow!("cannot take over the terminal for top: {e}"))?;
    let result = event_loop(
        &mut terminal,
        &mut app,
        client,
        kafka,
        &mut kafka_rx,
        args.interval,
        color,
    )
    .await;
    ratatui::restore();
    result
}

#[allow(clippy::too_many_arguments)]
async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    client: Arc<Client>,
    kafka: Option<std::sync::mpsc::Sender<Request>>,
    kafka_rx: &mut tokio::sync::mpsc::UnboundedReceiver<Answer>,
    interval: Duration,
    color: bool,
) -> anyhow::Result<ExitCode> {
    let (input_tx, mut input_rx) = tokio::sync::mpsc::unbounded_channel();
    input::spawn(input_tx);
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let mut in_flight = false;
    let mut kafka_busy = false;
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let refresh = |in_flight: &mut bool| {
        if *in_flight {
            return;
        }
        *in_flight = true;
        let client = client.clone();
        let tx = events_tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(Event::Listing(list_connectors(&client).await));
        });
    };
    let sample = |app: &App, busy: &mut bool| {
        if let Some(k) = &kafka {
            if !*busy {
                *busy = k.send(Request::Sample(app.probes())).is_ok();
            }
        }
    };
    sample(app, &mut kafka_busy);
    loop {
        terminal.draw(|f| render::draw(f, app, color))?;
        tokio::select! {
            _ = tick.tick() => refresh(&mut in_flight),
            Some(input) = input_rx.recv() => {
                let key = match input {
                    Input::Key(k) => k,
                    Input::Resize => continue,
                };
                match app.key(key) {
                    Effect::None => {}
                    Effect::Quit => return Ok(ExitCode::SUCCESS),
                    Effect::Refresh => refresh(&mut in_flight),
                    Effect::Run(op, name) => {
                        let client = client.clone();
                        let tx = events_tx.clone();
                        tokio::spawn(async move {
                            let r = match op {
                                Op::Pause => client.pause(&name).await,
                                Op::Resume => client.resume(&name).await,
                                Op::Restart => client.restart(&name, true, false).await.map(drop),
                            };
                            let _ = tx.send(Event::Done(op, name, r));
                        });
                    }
                    Effect::SummarizeDlq { name, topic } => {
                        if let Some(k) = &kafka {
                            app.dlq_views.remove(&name);
                            let _ = k.send(Request::Summarize { name, topic });
                        }
                    }
                }
            }
            Some(event) = events.recv() => match event {
                Event::Listing(Ok(listed)) => {
                    in_flight = false;
                    app.apply_listing(&listed, stamp());
                    if app.message.as_deref().is_some_and(|m| m.starts_with("refresh failed")) {
                        app.message = None;
                    }
                    sample(app, &mut kafka_busy);
                }
                Event::Listing(Err(e)) => {
                    in_flight = false;
                    app.message = Some(format!("refresh failed: {e}"));
                }
                Event::Done(op, name, result) => {
                    app.message = Some(match result {
                        Ok(()) => format!("{} {name}: done", op.verb()),
                        Err(e) => format!("{} {name} failed: {e}", op.verb()),
                    });
                    refresh(&mut in_flight);
                }
            },
            Some(answer) = kafka_rx.recv() => match answer {
                Answer::Samples(samples) => {
                    kafka_busy = false;
                    app.apply_kafka(samples, Instant::now());
                }
                Answer::Unreachable(why) => {
                    kafka_busy = false;
                    app.kafka_note = Some(why);
                }
                Answer::Summary { name, view } => {
                    app.dlq_views.insert(name, view);
                }
            },
        }
    }
}

/// HH:MM:SS UTC, when the last refresh answered.
fn stamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

fn humanize(d: Duration) -> String {
    let ms = d.as_millis();
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}
