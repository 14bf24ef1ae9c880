//! A board as a client holds it: the snapshot plus the events applied since, in
//! revision order, with gaps detected so that the client can fetch what it missed.

use std::collections::HashMap;

use crate::event::{BoardChange, BoardEvent, Keyed};
use crate::model::{Board, ChecklistItem, Member, Project, Rekeyed, Status, Task};

mod index;

/// What applying an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The board is now at the event's revision.
    Applied,
    /// The board already had this revision (e.g. an event that raced a snapshot).
    AlreadySeen,
    /// Revisions are missing before this one: fetch the events after `have`.
    Gap { have: u64, got: u64 },
}

/// A board's columns and cards at revision `rev`, kept in display order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardState {
    pub project: Project,
    pub rev: u64,
    /// The epoch `rev` counts in (see [`Board::epoch`]).
    pub epoch: u64,
    /// Sorted by (position, id).
    pub statuses: Vec<Status>,
    /// Sorted by (position, id); [`BoardState::cards`] picks a column's. Changed by
    /// hand (not through [`BoardState::apply`]), [`BoardState::reindex`] follows.
    pub tasks: Vec<Task>,
    pub members: Vec<Member>,
    /// How many comments each card has (none: left out).
    pub comments: std::collections::BTreeMap<i64, u32>,
    /// Each column's cards and each card's place (see [`index`]).
    index: index::Lazy,
}

impl From<Board> for BoardState {
    fn from(b: Board) -> Self {
        let mut state = BoardState {
            project: b.project,
            rev: b.rev,
            epoch: b.epoch,
            statuses: b.statuses,
            tasks: b.tasks,
            members: b.members,
            comments: b.comments,
            index: index::Lazy::new(),
        };
        state.reindex();
        state
    }
}

impl BoardState {
    /// Puts columns and cards in order and indexes the cards again: after `tasks`
    /// or `statuses` were changed by hand.
    pub fn reindex(&mut self) {
        self.statuses.sort_by(|a, b| (&a.position, a.id).cmp(&(&b.position, b.id)));
        self.tasks.sort_by(|a, b| (&a.position, a.id).cmp(&(&b.position, b.id)));
        self.index = index::Lazy::new();
    }

    fn index(&self) -> &index::Index {
        self.index.get(&self.tasks)
    }

    /// Which cards these are: a number of their own each time they change
    /// (through [`BoardState::apply`] or [`BoardState::reindex`]) or the members
    /// they name do ([`BoardState::set_members`]), the same for a clone. What is
    /// worked out from the cards can be kept until it changes.
    pub fn generation(&self) -> u64 {
        self.index.generation
    }

    /// The project's members now.
    pub fn set_members(&mut self, members: Vec<Member>) {
        self.members = members;
        // An assignee's name is part of what a card says.
        self.index.touch();
    }

    fn column(&self, status_id: i64) -> &[usize] {
        self.index().columns.get(&status_id).map_or(&[], Vec::as_slice)
    }

    /// The cards of a column, in order.
    pub fn cards(&self, status_id: i64) -> impl DoubleEndedIterator<Item = &Task> {
        self.column(status_id).iter().filter_map(|&i| self.tasks.get(i))
    }

    /// How many cards column `status_id` has.
    pub fn card_count(&self, status_id: i64) -> usize {
        self.column(status_id).len()
    }

    /// The `n`th card of column `status_id` (from 0).
    pub fn card_at(&self, status_id: i64, n: usize) -> Option<&Task> {
        self.column(status_id).get(n).and_then(|&i| self.tasks.get(i))
    }

    /// Where card `id` is in its column (from 0).
    pub fn rank(&self, id: i64) -> Option<usize> {
        self.index().cards.get(&id).map(|&(_, rank)| rank)
    }

    pub fn task(&self, id: i64) -> Option<&Task> {
        let index = self.index();
        match index.cards.get(&id).and_then(|&(i, _)| self.tasks.get(i)) {
            Some(t) if t.id == id => Some(t),
            None if index.len == self.tasks.len() => None,
            // Changed by hand since it was indexed: every card is asked.
            _ => self.tasks.iter().find(|t| t.id == id),
        }
    }

    /// A checklist item of any card.
    pub fn item(&self, id: i64) -> Option<&ChecklistItem> {
        self.tasks.iter().flat_map(|t| &t.checklist).find(|i| i.id == id)
    }

    pub fn status(&self, id: i64) -> Option<&Status> {
        self.statuses.iter().find(|s| s.id == id)
    }

    /// How many comments card `task_id` has.
    pub fn comment_count(&self, task_id: i64) -> u32 {
        self.comments.get(&task_id).copied().unwrap_or(0)
    }

    fn set_comments(&mut self, task_id: i64, n: u32) {
        if n == 0 {
            self.comments.remove(&task_id);
        } else {
            self.comments.insert(task_id, n);
        }
    }

    pub fn member(&self, user_id: i64) -> Option<&Member> {
        self.members.iter().find(|m| m.id == user_id)
    }

    /// Applies `event` if it is the next revision.
    pub fn apply(&mut self, event: &BoardEvent) -> Applied {
        if event.rev <= self.rev {
            return Applied::AlreadySeen;
        }
        if event.rev != self.rev + 1 {
            return Applied::Gap { have: self.rev, got: event.rev };
        }
        match &event.change {
            BoardChange::TaskCreated(t)
            | BoardChange::TaskUpdated { task: t, .. }
            | BoardChange::TaskMoved { task: t, .. } => {
                self.upsert_task(t.clone());
            }
            BoardChange::TaskDeleted { id } => self.tasks.retain(|t| t.id != *id),
            BoardChange::StatusCreated(s)
            | BoardChange::StatusUpdated { status: s, .. }
            | BoardChange::StatusMoved(s) => match self.statuses.iter_mut().find(|x| x.id == s.id) {
                Some(x) => *x = s.clone(),
                None => self.statuses.push(s.clone()),
            },
            BoardChange::TaskRestored(t) => self.upsert_task(t.clone()),
            BoardChange::StatusRestored { status, tasks } => {
                match self.statuses.iter_mut().find(|x| x.id == status.id) {
                    Some(x) => *x = status.clone(),
                    None => self.statuses.push(status.clone()),
                }
                for t in tasks {
                    self.upsert_task(t.clone());
                }
            }
            BoardChange::StatusDeleted { id, tasks, .. } => {
                self.statuses.retain(|s| s.id != *id);
                for t in tasks {
                    self.upsert_task(t.clone());
                }
                // Cards of a deleted column that were not moved are gone with it.
                let ids: Vec<i64> = self.statuses.iter().map(|s| s.id).collect();
                self.tasks.retain(|t| ids.contains(&t.status_id));
            }
            BoardChange::CommentCreated { comment, comments }
            | BoardChange::CommentUpdated { comment, comments } => {
                self.set_comments(comment.task_id, *comments);
            }
            BoardChange::CommentDeleted { task_id, comments, .. } => self.set_comments(*task_id, *comments),
            BoardChange::ItemCreated(item)
            | BoardChange::ItemUpdated { item, .. }
            | BoardChange::ItemMoved(item) => self.upsert_item(item.clone()),
            BoardChange::ItemDeleted(item) => {
                if let Some(task) = self.tasks.iter_mut().find(|t| t.id == item.task_id) {
                    task.checklist.retain(|i| i.id != item.id);
                }
            }
        }
        if !event.rekeyed.is_empty() {
            self.rekey(event.change.keyed(), &event.rekeyed);
        }
        self.rev = event.rev;
        self.reindex();
        Applied::Applied
    }

    /// A re-spaced list: new keys, the same order.
    fn rekey(&mut self, keyed: Keyed, rekeyed: &[Rekeyed]) {
        let keys: HashMap<i64, &str> = rekeyed.iter().map(|r| (r.id, r.position.as_str())).collect();
        let positions: Box<dyn Iterator<Item = (i64, &mut String)>> = match keyed {
            Keyed::Columns => Box::new(self.statuses.iter_mut().map(|s| (s.id, &mut s.position))),
            Keyed::Cards => Box::new(self.tasks.iter_mut().map(|t| (t.id, &mut t.position))),
            Keyed::Items(task_id) => Box::new(
                self.tasks
                    .iter_mut()
                    .filter(move |t| t.id == task_id)
                    .flat_map(|t| t.checklist.iter_mut().map(|i| (i.id, &mut i.position))),
            ),
        };
        for (id, position) in positions {
            if let Some(key) = keys.get(&id) {
                (*key).clone_into(position);
            }
        }
        if let Keyed::Items(task_id) = keyed
            && let Some(task) = self.tasks.iter_mut().find(|t| t.id == task_id)
        {
            sort_items(&mut task.checklist);
        }
    }

    /// An item made or changed, in its card's checklist, in order.
    fn upsert_item(&mut self, item: ChecklistItem) {
        let Some(task) = self.tasks.iter_mut().find(|t| t.id == item.task_id) else { return };
        match task.checklist.iter_mut().find(|x| x.id == item.id) {
            Some(x) => *x = item,
            None => task.checklist.push(item),
        }
        sort_items(&mut task.checklist);
    }

    fn upsert_task(&mut self, task: Task) {
        match self.tasks.iter_mut().find(|x| x.id == task.id) {
            Some(x) => *x = task,
            None => self.tasks.push(task),
        }
    }
}

/// A checklist in its order: by key, then id.
pub fn sort_items(items: &mut [ChecklistItem]) {
    items.sort_by(|a, b| (&a.position, a.id).cmp(&(&b.position, b.id)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Priority, Role};

    fn ev(rev: u64, change: BoardChange) -> BoardEvent {
        BoardEvent { rev, by: 1, change, rekeyed: vec![] }
    }

    fn task(id: i64, status_id: i64, position: &str) -> Task {
        Task {
            id,
            project_id: 1,
            status_id,
            title: format!("t{id}"),
            description: String::new(),
            assignee_id: None,
            priority: Priority::None,
            labels: vec![],
            due_date: None,
            position: position.into(),
            version: 1,
            created_by: None,
            updated_by: None,
            created_at: String::new(),
            updated_at: String::new(),
            checklist: vec![],
        }
    }

    fn status(id: i64, position: &str) -> Status {
        Status {
            id,
            project_id: 1,
            name: format!("s{id}"),
            color: None,
            position: position.into(),
            wip_limit: None,
            version: 1,
        }
    }

    fn board() -> BoardState {
        BoardState::from(Board {
            project: Project { id: 1, name: "p".into(), role: Role::Owner, archived: false },
            rev: 5,
            epoch: 1,
            statuses: vec![status(2, "b"), status(1, "a")],
            tasks: vec![task(10, 1, "b"), task(11, 1, "a"), task(12, 2, "a")],
            members: vec![],
            comments: Default::default(),
        })
    }

    fn order(b: &BoardState, status_id: i64) -> Vec<i64> {
        b.cards(status_id).map(|t| t.id).collect()
    }

    #[test]
    fn snapshot_is_sorted() {
        let b = board();
        assert_eq!(b.statuses.iter().map(|s| s.id).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(order(&b, 1), vec![11, 10]);
    }

    #[test]
    fn applies_every_event_kind() {
        let mut b = board();
        assert_eq!(b.apply(&ev(6, BoardChange::TaskCreated(task(13, 2, "b")))), Applied::Applied);
        assert_eq!(order(&b, 2), vec![12, 13]);

        let mut updated = task(13, 2, "b");
        updated.title = "renamed".into();
        b.apply(&ev(7, BoardChange::TaskUpdated { task: updated, before: None }));
        assert_eq!(b.task(13).unwrap().title, "renamed");

        b.apply(&ev(8, BoardChange::TaskMoved { task: task(13, 1, "0V"), from: None }));
        assert_eq!(order(&b, 1), vec![13, 11, 10]);
        assert_eq!(order(&b, 2), vec![12]);

        b.apply(&ev(9, BoardChange::TaskDeleted { id: 11 }));
        assert_eq!(order(&b, 1), vec![13, 10]);

        b.apply(&ev(10, BoardChange::StatusCreated(status(3, "0"))));
        assert_eq!(b.statuses[0].id, 3);
        b.apply(&ev(11, BoardChange::StatusMoved(status(3, "c"))));
        assert_eq!(b.statuses.last().unwrap().id, 3);
        let mut renamed = status(3, "c");
        renamed.name = "Later".into();
        b.apply(&ev(12, BoardChange::StatusUpdated { status: renamed, before: None }));
        assert_eq!(b.status(3).unwrap().name, "Later");

        // Deleting column 1, its cards moved to 2.
        let moved = vec![task(13, 2, "c"), task(10, 2, "d")];
        b.apply(&ev(13, BoardChange::StatusDeleted { id: 1, moved_to: Some(2), tasks: moved }));
        assert!(b.status(1).is_none());
        assert_eq!(order(&b, 2), vec![12, 13, 10]);
        // Deleting an empty column.
        b.apply(&ev(14, BoardChange::StatusDeleted { id: 3, moved_to: None, tasks: vec![] }));
        assert_eq!(b.statuses.len(), 1);
        assert_eq!(b.rev, 14);
    }

    #[test]
    fn a_respaced_list_takes_its_new_keys() {
        let mut b = board();
        let rekeyed =
            vec![Rekeyed { id: 11, position: "1".into() }, Rekeyed { id: 10, position: "3".into() }];
        b.apply(&BoardEvent {
            rekeyed,
            ..ev(6, BoardChange::TaskMoved { task: task(12, 1, "2"), from: None })
        });
        assert_eq!(order(&b, 1), vec![11, 12, 10]);
        assert_eq!(b.task(10).unwrap().position, "3");
        let rekeyed = vec![Rekeyed { id: 2, position: "1".into() }];
        b.apply(&BoardEvent { rekeyed, ..ev(7, BoardChange::StatusCreated(status(3, "2"))) });
        assert_eq!(b.statuses.iter().map(|s| s.id).collect::<Vec<_>>(), vec![2, 3, 1]);
        assert_eq!(b.task(11).unwrap().position, "1", "card keys untouched by a column's");
    }

    #[test]
    fn the_index_follows_every_change() {
        let mut b = board();
        let places = |b: &BoardState, status_id| {
            (0..b.card_count(status_id))
                .map(|n| {
                    let t = b.card_at(status_id, n).unwrap();
                    assert_eq!(b.rank(t.id), Some(n));
                    assert_eq!(b.task(t.id).map(|t| t.status_id), Some(status_id));
                    t.id
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(places(&b, 1), vec![11, 10]);
        b.apply(&ev(6, BoardChange::TaskMoved { task: task(12, 1, "0"), from: None }));
        assert_eq!(places(&b, 1), vec![12, 11, 10]);
        assert_eq!(b.card_count(2), 0);
        assert_eq!(b.card_at(2, 0), None);
        assert_eq!(b.cards(3).count(), 0, "a column the board does not have");
        b.apply(&ev(7, BoardChange::TaskDeleted { id: 11 }));
        assert_eq!(places(&b, 1), vec![12, 10]);
        assert_eq!((b.task(11), b.rank(11)), (None, None));

        // A card added by hand is found at once, and in its column once indexed.
        b.tasks.push(task(-1, 2, "~"));
        assert_eq!(b.task(-1).map(|t| t.id), Some(-1));
        let before = b.generation();
        b.reindex();
        assert_eq!(places(&b, 2), vec![-1]);
        assert_ne!(b.generation(), before, "other cards, another generation");
        assert_eq!(b.clone().generation(), b.generation());
        assert_eq!(b, b.clone(), "equal whatever the index");
    }

    #[test]
    fn detects_gaps_and_ignores_the_seen() {
        let mut b = board();
        let before = b.clone();
        assert_eq!(b.apply(&ev(5, BoardChange::TaskDeleted { id: 10 })), Applied::AlreadySeen);
        assert_eq!(b.apply(&ev(7, BoardChange::TaskDeleted { id: 10 })), Applied::Gap { have: 5, got: 7 });
        assert_eq!(b, before, "nothing applied out of order");
    }

    fn item(id: i64, task_id: i64, position: &str) -> ChecklistItem {
        ChecklistItem {
            id,
            task_id,
            text: format!("i{id}"),
            done: false,
            position: position.into(),
            version: 1,
        }
    }

    #[test]
    fn checklist_events_keep_each_card_s_items_in_order() {
        let mut b = board();
        b.apply(&ev(6, BoardChange::ItemCreated(item(1, 10, "m"))));
        b.apply(&ev(7, BoardChange::ItemCreated(item(2, 10, "c"))));
        let ids = |b: &BoardState| b.task(10).unwrap().checklist.iter().map(|i| i.id).collect::<Vec<_>>();
        assert_eq!(ids(&b), [2, 1]);
        let ticked = ChecklistItem { done: true, version: 2, ..item(2, 10, "c") };
        b.apply(&ev(8, BoardChange::ItemUpdated { item: ticked, before: None }));
        assert!(b.task(10).unwrap().checklist[0].done);
        // A move that re-spaced the other item: both keys change, the order follows.
        let moved = BoardEvent {
            rekeyed: vec![Rekeyed { id: 1, position: "b".into() }],
            ..ev(9, BoardChange::ItemMoved(item(2, 10, "x")))
        };
        b.apply(&moved);
        assert_eq!(ids(&b), [1, 2]);
        assert_eq!(b.task(10).unwrap().checklist[0].position, "b");
        assert!(b.task(11).unwrap().checklist.is_empty(), "another card's list is not touched");
        b.apply(&ev(10, BoardChange::ItemDeleted(item(1, 10, "b"))));
        assert_eq!(ids(&b), [2]);
        // An item of a card this board does not hold changes nothing.
        assert_eq!(b.apply(&ev(11, BoardChange::ItemCreated(item(3, 99, "a")))), Applied::Applied);
        assert_eq!(b.rev, 11);
    }
}
