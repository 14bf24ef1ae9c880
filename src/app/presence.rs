//! Who is on the board and where each of them points.

use std::collections::HashMap;

use kanban_protocol::model::{CursorPos, UserInfo};

/// The people on the presence channel, in the order they arrived, and their cursors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Presence {
    pub members: Vec<(String, UserInfo)>,
    pub cursors: HashMap<String, CursorPos>,
}

impl Presence {
    /// Replaces the member list (on (re)subscribing); cursors of those gone go too.
    pub fn reset(&mut self, members: Vec<(String, UserInfo)>) {
        self.cursors.retain(|id, _| members.iter().any(|(m, _)| m == id));
        self.members = members;
    }

    /// Returns whether the user is new here.
    pub fn join(&mut self, id: String, info: UserInfo) -> bool {
        match self.members.iter_mut().find(|(m, _)| *m == id) {
            Some((_, existing)) => {
                *existing = info;
                false
            }
            None => {
                self.members.push((id, info));
                true
            }
        }
    }

    pub fn leave(&mut self, id: &str) {
        self.members.retain(|(m, _)| m != id);
        self.cursors.remove(id);
    }

    pub fn info(&self, id: &str) -> Option<&UserInfo> {
        self.members.iter().find(|(m, _)| m == id).map(|(_, i)| i)
    }

    /// The others pointing at `pos` (exactly that cell), by id, in arrival order.
    pub fn pointing_at(&self, pos: CursorPos, me: Option<&str>) -> Vec<&str> {
        self.members
            .iter()
            .filter(|(id, _)| Some(id.as_str()) != me && self.cursors.get(id) == Some(&pos))
            .map(|(id, _)| id.as_str())
            .collect()
    }
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
}
