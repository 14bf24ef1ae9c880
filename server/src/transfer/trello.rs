//! Trello's board export (Menu → Print, export and share → Export as JSON), the
//! parts that make a board.

use std::collections::HashMap;

use kanban_protocol::check::{MAX_ITEM, MAX_ITEMS};
use kanban_protocol::model::Priority;
use serde::Deserialize;

use super::{Card, Column, Comment, Export, FORMAT, Item};

#[derive(Debug, Deserialize)]
pub struct Board {
    pub name: String,
    #[serde(default)]
    pub lists: Vec<List>,
    #[serde(default)]
    pub cards: Vec<TrelloCard>,
    #[serde(default)]
    pub actions: Vec<Action>,
    #[serde(default)]
    pub checklists: Vec<Checklist>,
}

/// A checklist of a card; a Trello card may have several.
#[derive(Debug, Deserialize)]
pub struct Checklist {
    #[serde(default)]
    pub name: String,
    #[serde(rename = "idCard")]
    pub id_card: String,
    #[serde(default)]
    pub pos: f64,
    #[serde(rename = "checkItems", default)]
    pub items: Vec<CheckItem>,
}

#[derive(Debug, Deserialize)]
pub struct CheckItem {
    pub name: String,
    /// `complete` or `incomplete`.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub pos: f64,
}

#[derive(Debug, Deserialize)]
pub struct List {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub closed: bool,
    #[serde(default)]
    pub pos: f64,
}

#[derive(Debug, Deserialize)]
pub struct TrelloCard {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub desc: String,
    #[serde(rename = "idList")]
    pub id_list: String,
    #[serde(default)]
    pub closed: bool,
    #[serde(default)]
    pub pos: f64,
    #[serde(default)]
    pub due: Option<String>,
    #[serde(default)]
    pub labels: Vec<Label>,
}

#[derive(Debug, Deserialize)]
pub struct Label {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub color: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Action {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub data: ActionData,
    #[serde(rename = "memberCreator", default)]
    pub member: Option<Person>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ActionData {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub card: Option<CardRef>,
}

#[derive(Debug, Deserialize)]
pub struct CardRef {
    pub id: String,
}

#[derive(Debug, Deserialize)]
pub struct Person {
    #[serde(default)]
    pub username: String,
    #[serde(rename = "fullName", default)]
    pub full_name: String,
}

/// A card's labels by name (one without a name is known by its color), each once.
fn labels(labels: &[Label]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in labels {
        let name = if l.name.trim().is_empty() { l.color.clone() } else { Some(l.name.trim().to_string()) };
        if let Some(name) = name.filter(|n| !out.contains(n)) {
            out.push(name);
        }
    }
    out
}

/// Each card's checklists as one list, in order: with several, each item says
/// which list it was on ("QA: run the suite"). Items are cut to what a board
/// keeps (one line, at most [`MAX_ITEM`] characters, [`MAX_ITEMS`] of them).
fn checklists(mut lists: Vec<Checklist>) -> HashMap<String, Vec<Item>> {
    lists.sort_by(|a, b| a.pos.total_cmp(&b.pos));
    let several: HashMap<&str, usize> = lists.iter().fold(HashMap::new(), |mut n, l| {
        *n.entry(l.id_card.as_str()).or_default() += 1;
        n
    });
    let several: Vec<String> =
        several.into_iter().filter(|(_, n)| *n > 1).map(|(c, _)| c.to_string()).collect();
    let mut out: HashMap<String, Vec<Item>> = HashMap::new();
    for mut list in lists {
        list.items.sort_by(|a, b| a.pos.total_cmp(&b.pos));
        let prefix = several.contains(&list.id_card) && !list.name.trim().is_empty();
        let items = out.entry(list.id_card.clone()).or_default();
        for item in list.items {
            let text = item.name.split_whitespace().collect::<Vec<_>>().join(" ");
            let text = if prefix { format!("{}: {text}", list.name.trim()) } else { text };
            if text.is_empty() || items.len() >= MAX_ITEMS {
                continue;
            }
            let text = if text.chars().count() > MAX_ITEM {
                text.chars().take(MAX_ITEM - 1).chain(['…']).collect()
            } else {
                text
            };
            items.push(Item { text, done: item.state == "complete" });
        }
    }
    out
}

impl Board {
    pub fn into_export(self) -> Export {
        let mut checklists = checklists(self.checklists);
        // Comments come newest first in the export: each card's go oldest first.
        let mut comments: HashMap<String, Vec<Comment>> = HashMap::new();
        for action in self.actions.into_iter().rev().filter(|a| a.kind == "commentCard") {
            let (Some(card), Some(text)) = (action.data.card, action.data.text) else { continue };
            let author = action.member.map(|m| if m.full_name.is_empty() { m.username } else { m.full_name });
            comments.entry(card.id).or_default().push(Comment {
                author,
                body: text,
                created_at: action.date,
            });
        }
        let mut lists: Vec<List> = self.lists.into_iter().filter(|l| !l.closed).collect();
        lists.sort_by(|a, b| a.pos.total_cmp(&b.pos));
        let mut cards: Vec<TrelloCard> = self.cards.into_iter().filter(|c| !c.closed).collect();
        cards.sort_by(|a, b| a.pos.total_cmp(&b.pos));
        let columns = lists
            .iter()
            .map(|list| Column {
                name: list.name.clone(),
                color: None,
                wip_limit: None,
                cards: cards
                    .iter()
                    .filter(|c| c.id_list == list.id)
                    .map(|c| Card {
                        title: c.name.clone(),
                        description: c.desc.clone(),
                        priority: Priority::None,
                        // A label without a name is known by its color.
                        labels: labels(&c.labels),
                        due_date: c.due.as_ref().and_then(|d| d.get(..10)).map(str::to_string),
                        assignee: None,
                        comments: comments.remove(&c.id).unwrap_or_default(),
                        checklist: checklists.remove(&c.id).unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect();
        Export { format: FORMAT.into(), version: 1, name: self.name, columns, members: Vec::new() }
    }
}
