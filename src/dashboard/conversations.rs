//! Conversations: each user's thread with the tenant, drawn as the user's phone shows it —
//! the user's messages on the right, the app's on the left with their buttons, lists, media,
//! templates, reactions and ticks. A button or list row in the app's message can be tapped:
//! that is the simulated user answering (see [`super::simulator`]).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::DashboardState;
use super::error::PageError;
use super::pages::{Nav, TenantQuery, render, tenant_of};
use super::view::{self, Zone, encode};
use crate::core::messaging::{Direction, Message, MessageStatus};
use crate::core::tenants::Tenant;

/// How far back the list of threads looks: the tenant's newest messages.
const THREADS_SCAN: u32 = 2_000;
/// Threads the list shows.
const THREADS_SHOWN: u32 = 100;
/// Messages of one thread shown, the newest.
const THREAD_MESSAGES: u32 = 200;

/// Which API a thread goes through: the WhatsApp Cloud API, or Twilio's numbers (SMS, MMS, and
/// Twilio's `whatsapp:` addresses, which use the same Messages API). `channel=` in URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum ThreadKind {
    #[serde(rename = "whatsapp")]
    CloudApi,
    #[serde(rename = "twilio")]
    Twilio,
}

impl ThreadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ThreadKind::CloudApi => "whatsapp",
            ThreadKind::Twilio => "twilio",
        }
    }
}

/// The tenant's side: the number the user writes to.
fn business_of(message: &Message) -> String {
    if message.direction == Direction::Inbound {
        message.to.clone()
    } else {
        message.from.clone().unwrap_or_default()
    }
}

pub struct ThreadRow {
    pub link: String,
    pub user: String,
    pub channel: &'static str,
    pub last: String,
    pub at: String,
    pub count: u32,
}

#[derive(Template)]
#[template(path = "conversations.html")]
struct ConversationsPage {
    nav: Nav,
    threads: Vec<ThreadRow>,
    scanned: u32,
}

/// `/ui/conversations`: the users who wrote or were written to lately, newest thread first.
pub async fn list(
    State(state): State<Arc<DashboardState>>,
    Query(query): Query<TenantQuery>,
) -> Result<Response, PageError> {
    let core = &state.core;
    let tenant = tenant_of(core, query.tenant.as_deref())?;
    let threads = core
        .recent_threads(&tenant, THREADS_SCAN, THREADS_SHOWN)
        .await?;
    render(ConversationsPage {
        threads: threads
            .iter()
            .map(|thread| {
                let channel = if thread.cloud_api {
                    ThreadKind::CloudApi
                } else {
                    ThreadKind::Twilio
                };
                ThreadRow {
                    link: thread_link(&tenant.sid(), channel, &thread.user),
                    user: thread.user.clone(),
                    channel: channel.as_str(),
                    last: view::preview(&view::message_text(&thread.last), 80),
                    at: state.zone.moment(thread.last.created_at),
                    count: thread.count,
                }
            })
            .collect(),
        scanned: THREADS_SCAN,
        nav: Nav::new(&state, "conversations", &tenant),
    })
}

pub fn thread_link(tenant: &str, channel: ThreadKind, user: &str) -> String {
    format!(
        "/ui/conversations/thread?tenant={}&channel={}&user={}",
        encode(tenant),
        channel.as_str(),
        encode(user)
    )
}

#[derive(Debug, Deserialize)]
pub struct ThreadQuery {
    pub tenant: Option<String>,
    pub channel: ThreadKind,
    pub user: String,
}

/// A choice the app offers: a reply button, or a row of a list.
pub struct Choice {
    pub id: String,
    pub title: String,
    pub description: String,
}

/// One message as a bubble.
pub struct Bubble {
    pub sid: String,
    /// The user wrote it (drawn on the right, as on the user's phone).
    pub mine: bool,
    pub kind: String,
    pub header: String,
    pub text: String,
    pub footer: String,
    /// A media link, a location, a template's name: what is not words.
    pub attachment: String,
    pub buttons: Vec<Choice>,
    /// The button that opens a list, and the list's rows.
    pub list_button: String,
    pub rows: Vec<Choice>,
    pub link_text: String,
    pub link_url: String,
    pub reaction: String,
    pub at: String,
    /// Ticks on the app's messages: ✓ sent, ✓✓ delivered, blue ✓✓ read, ! failed.
    pub ticks: &'static str,
    pub ticks_class: &'static str,
    pub status: &'static str,
}

fn text_at(value: &Value, path: &[&str]) -> String {
    let mut node = value;
    for key in path {
        node = &node[*key];
    }
    node.as_str().map(str::to_owned).unwrap_or_default()
}

fn ticks(status: MessageStatus) -> (&'static str, &'static str) {
    match status {
        MessageStatus::Sent => ("✓", "sent"),
        MessageStatus::Delivered => ("✓✓", "delivered"),
        MessageStatus::Read => ("✓✓", "read"),
        MessageStatus::Failed | MessageStatus::Undelivered => ("!", "failed"),
        MessageStatus::Received => ("", ""),
        _ => ("…", "pending"),
    }
}

impl Bubble {
    fn new(message: &Message, zone: Zone) -> Self {
        let mine = message.direction == Direction::Inbound;
        let (ticks, ticks_class) = if mine {
            ("", "")
        } else {
            ticks(message.status)
        };
        let mut bubble = Bubble {
            sid: message.sid.clone(),
            mine,
            kind: "text".into(),
            header: String::new(),
            text: message.body.clone(),
            footer: String::new(),
            attachment: message.media_urls.join(" "),
            buttons: Vec::new(),
            list_button: String::new(),
            rows: Vec::new(),
            link_text: String::new(),
            link_url: String::new(),
            reaction: String::new(),
            at: zone.moment(message.created_at),
            ticks,
            ticks_class,
            status: message.status.as_str(),
        };
        let Some(whatsapp) = &message.whatsapp else {
            return bubble;
        };
        let content: Value = serde_json::from_str(&whatsapp.content).unwrap_or(Value::Null);
        bubble.kind = whatsapp.message_type.clone();
        match whatsapp.message_type.as_str() {
            "text" => bubble.text = text_at(&content, &["body"]),
            "interactive" if !mine => {
                bubble.header = text_at(&content, &["header", "text"]);
                bubble.text = text_at(&content, &["body", "text"]);
                bubble.footer = text_at(&content, &["footer", "text"]);
                let action = &content["action"];
                bubble.buttons = action["buttons"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|button| Choice {
                        id: text_at(button, &["reply", "id"]),
                        title: text_at(button, &["reply", "title"]),
                        description: String::new(),
                    })
                    .collect();
                bubble.list_button = text_at(action, &["button"]);
                bubble.rows = action["sections"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|section| section["rows"].as_array().into_iter().flatten())
                    .map(|row| Choice {
                        id: text_at(row, &["id"]),
                        title: text_at(row, &["title"]),
                        description: text_at(row, &["description"]),
                    })
                    .collect();
                bubble.link_text = text_at(action, &["parameters", "display_text"]);
                bubble.link_url = text_at(action, &["parameters", "url"]);
            }
            "template" => {
                bubble.attachment = format!(
                    "Template {} ({})",
                    text_at(&content, &["name"]),
                    text_at(&content, &["language", "code"])
                );
            }
            "image" | "video" | "audio" | "document" | "sticker" => {
                let source = Some(text_at(&content, &["link"]))
                    .filter(|l| !l.is_empty())
                    .unwrap_or_else(|| format!("media {}", text_at(&content, &["id"])));
                bubble.attachment = format!("[{}] {source}", whatsapp.message_type);
                bubble.text = text_at(&content, &["caption"]);
            }
            "location" => {
                bubble.attachment = format!("📍 {}, {}", content["latitude"], content["longitude"]);
                bubble.text = [
                    text_at(&content, &["name"]),
                    text_at(&content, &["address"]),
                ]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            }
            "reaction" => {
                bubble.reaction = text_at(&content, &["emoji"]);
                bubble.text = String::new();
            }
            // The user's answers (a tapped button, a picked row, a Flow) read as their body.
            _ => {}
        }
        bubble
    }
}

#[derive(Template)]
#[template(path = "thread.html")]
struct ThreadPage {
    nav: Nav,
    channel: &'static str,
    user: String,
    /// The tenant's number the user writes to (for the composer).
    business: String,
    bubbles: Vec<Bubble>,
    targets: Vec<String>,
    thread_url: String,
}

#[derive(Template)]
#[template(path = "bubbles.html")]
struct BubblesFragment {
    nav_tenant: String,
    user: String,
    bubbles: Vec<Bubble>,
}

/// The thread's newest messages, oldest first.
async fn thread_messages(
    state: &DashboardState,
    tenant: &Tenant,
    channel: ThreadKind,
    user: &str,
) -> Result<Vec<Message>, PageError> {
    let core = &state.core;
    Ok(match channel {
        ThreadKind::CloudApi => {
            core.whatsapp_conversation(tenant, user, THREAD_MESSAGES)
                .await?
                .1
        }
        ThreadKind::Twilio => {
            core.twilio_conversation(tenant, user, THREAD_MESSAGES)
                .await?
        }
    })
}

/// `/ui/conversations/thread`: one user's thread, with a composer to write as the user.
pub async fn thread(
    State(state): State<Arc<DashboardState>>,
    Query(query): Query<ThreadQuery>,
) -> Result<Response, PageError> {
    let core = &state.core;
    let tenant = tenant_of(core, query.tenant.as_deref())?;
    let messages = thread_messages(&state, &tenant, query.channel, &query.user).await?;
    let business = match messages.last() {
        Some(message) => business_of(message),
        None if query.channel == ThreadKind::CloudApi => {
            tenant.account().whatsapp.business_number()
        }
        None => tenant
            .numbers()
            .first()
            .map(|n| n.phone_number.clone())
            .unwrap_or_default(),
    };
    render(ThreadPage {
        thread_url: format!(
            "/ui/conversations/bubbles?tenant={}&channel={}&user={}",
            encode(&tenant.sid()),
            query.channel.as_str(),
            encode(&query.user)
        ),
        channel: query.channel.as_str(),
        user: query.user,
        business,
        bubbles: messages
            .iter()
            .map(|m| Bubble::new(m, state.zone))
            .collect(),
        targets: core.whatsapp_target_names(),
        nav: Nav::new(&state, "conversations", &tenant),
    })
}

/// The thread's bubbles alone, for the live view to swap in when one of its messages changes.
pub async fn bubbles(
    State(state): State<Arc<DashboardState>>,
    Query(query): Query<ThreadQuery>,
) -> Result<Response, PageError> {
    let tenant = tenant_of(&state.core, query.tenant.as_deref())?;
    let messages = thread_messages(&state, &tenant, query.channel, &query.user).await?;
    render(BubblesFragment {
        nav_tenant: tenant.sid(),
        user: query.user,
        bubbles: messages
            .iter()
            .map(|m| Bubble::new(m, state.zone))
            .collect(),
    })
}
