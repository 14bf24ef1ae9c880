//! Who is on the board, where each of them points, and whose card form is open.

use std::collections::HashMap;

use kanban_protocol::model::{CursorPos, Pointer, UserInfo};

/// The people on the presence channel, by name (so that every client lists them,
/// and marks a card they share, in one order), their cursors, and the cards they
/// are editing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Presence {
    pub members: Vec<(String, UserInfo)>,
    pub cursors: HashMap<String, CursorPos>,
    /// The card whose form each person has open, by id.
    pub editing: HashMap<String, i64>,
}

impl Presence {
    /// Replaces the member list (on (re)subscribing); cursors of those gone go too.
    pub fn reset(&mut self, members: Vec<(String, UserInfo)>) {
        self.cursors.retain(|id, _| members.iter().any(|(m, _)| m == id));
        self.editing.retain(|id, _| members.iter().any(|(m, _)| m == id));
        self.members = members;
        self.members.sort_by(|a, b| order(a).cmp(&order(b)));
    }

    /// Where `id` points now, and what it edits.
    pub fn point(&mut self, id: String, pointer: Pointer) {
        match pointer.editing() {
            Some(task) => self.editing.insert(id.clone(), task),
            None => self.editing.remove(&id),
        };
        self.cursors.insert(id, pointer.pos());
    }

    /// The others with card `task_id`'s form open, by id, in the members' order.
    pub fn editing(&self, task_id: i64, me: Option<&str>) -> Vec<&str> {
        self.members
            .iter()
            .filter(|(id, _)| Some(id.as_str()) != me && self.editing.get(id) == Some(&task_id))
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// Returns whether the user is new here.
    pub fn join(&mut self, id: String, info: UserInfo) -> bool {
        match self.members.iter_mut().find(|(m, _)| *m == id) {
            Some((_, existing)) => {
                *existing = info;
                false
            }
            None => {
                let member = (id, info);
                let at = self.members.partition_point(|m| order(m) < order(&member));
                self.members.insert(at, member);
                true
            }
        }
    }

    pub fn leave(&mut self, id: &str) {
        self.members.retain(|(m, _)| m != id);
        self.cursors.remove(id);
        self.editing.remove(id);
    }

    pub fn info(&self, id: &str) -> Option<&UserInfo> {
        self.members.iter().find(|(m, _)| m == id).map(|(_, i)| i)
    }

    /// The others pointing at `pos` (exactly that cell), by id, in the members' order.
    pub fn pointing_at(&self, pos: CursorPos, me: Option<&str>) -> Vec<&str> {
        self.members
            .iter()
            .filter(|(id, _)| Some(id.as_str()) != me && self.cursors.get(id) == Some(&pos))
            .map(|(id, _)| id.as_str())
            .collect()
    }
}

/// Where a member goes in the list: by name, whatever its case, then by id.
fn order((id, info): &(String, UserInfo)) -> (String, &str) {
    (info.name.to_lowercase(), id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str) -> UserInfo {
        UserInfo { name: name.into(), color: "#ffffff".into() }
    }

    #[test]
    fn joins_leaves_and_cursors() {
        let mut p = Presence::default();
        assert!(p.join("1".into(), info("ann")));
        assert!(!p.join("1".into(), info("ann")), "one entry per user");
        assert!(p.join("2".into(), info("bob")));
        let cell = CursorPos { status_id: 1, task_id: Some(5) };
        p.cursors.insert("1".into(), cell);
        p.cursors.insert("2".into(), cell);
        assert_eq!(p.pointing_at(cell, Some("2")), ["1"], "my own cursor is not a marker");
        p.leave("1");
        assert_eq!(p.pointing_at(cell, None), ["2"]);
        p.reset(vec![("3".into(), info("cy"))]);
        assert!(p.cursors.is_empty());
    }

    #[test]
    fn everyone_is_listed_by_name_whatever_the_order_they_came_in() {
        let mut one = Presence::default();
        one.join("7".into(), info("dee"));
        one.join("2".into(), info("Bob"));
        one.join("9".into(), info("ann"));
        let mut two = Presence::default();
        two.reset(vec![("9".into(), info("ann")), ("7".into(), info("dee"))]);
        two.join("2".into(), info("Bob"));
        let names = |p: &Presence| p.members.iter().map(|(_, i)| i.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&one), ["ann", "Bob", "dee"]);
        assert_eq!(one.members, two.members, "one order on every client");
    }

    #[test]
    fn editing_rides_on_the_pointer_and_goes_with_the_person() {
        let mut p = Presence::default();
        p.join("1".into(), info("ann"));
        p.join("2".into(), info("bob"));
        let editing = Pointer { status_id: 1, task_id: Some(5), editing: true };
        p.point("1".into(), editing);
        p.point("2".into(), editing);
        assert_eq!(p.editing(5, Some("2")), ["1"], "my own form is not a mark");
        assert_eq!(p.pointing_at(editing.pos(), None), ["1", "2"], "and they point at it");
        p.point("1".into(), Pointer { editing: false, ..editing });
        assert_eq!(p.editing(5, None), ["2"], "the form closed");
        p.leave("2");
        assert!(p.editing(5, None).is_empty(), "gone with the person");
        p.point("1".into(), editing);
        p.reset(vec![("3".into(), info("cy"))]);
        assert!(p.editing.is_empty());
    }
}
