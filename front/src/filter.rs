//! The board's filter: what `/` types, and what the quick filters (`F`) put in
//! it. Words are looked for in a card's title, description, labels and assignee;
//! `@name` keeps one person's cards (`@me` mine, `@none` nobody's), `#label` one
//! label's, `!high` one priority's, and `is:overdue` the cards past their due date.
//! In a name or label, `_` stands for a space (`#needs_review`).
//! Every term must hold. The filter keeps who "me" is and today's date, so that a
//! card can be asked whether it passes, and why not.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use jiff::civil::Date;
use kanban_protocol::board::BoardState;
use kanban_protocol::model::{Priority, Task};

use crate::due;

/// One term of the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// Found in the title, description, labels or assignee's name (lowercase).
    Word(String),
    /// `@me`.
    Mine,
    /// `@none`.
    Unassigned,
    /// `@name` (lowercase).
    Assignee(String),
    /// `#label` (lowercase).
    Label(String),
    /// `!priority`.
    Priority(Priority),
    /// `is:overdue`.
    Overdue,
}

impl Term {
    fn parse(word: &str) -> Term {
        let lower = word.to_lowercase();
        if let Some(name) = lower.strip_prefix('@').filter(|n| !n.is_empty()) {
            return match name {
                "me" => Term::Mine,
                "none" | "nobody" => Term::Unassigned,
                _ => Term::Assignee(name.to_string()),
            };
        }
        if let Some(label) = lower.strip_prefix('#').filter(|l| !l.is_empty()) {
            return Term::Label(label.to_string());
        }
        if let Some(p) = lower.strip_prefix('!').and_then(|p| p.parse().ok()) {
            return Term::Priority(p);
        }
        if lower == "is:overdue" {
            return Term::Overdue;
        }
        Term::Word(lower)
    }

    /// The same kind of term: the quick filters replace one with another.
    fn same_kind(&self, other: &Term) -> bool {
        let kind = |t: &Term| match t {
            Term::Word(_) => 0,
            Term::Mine | Term::Unassigned | Term::Assignee(_) => 1,
            Term::Label(_) => 2,
            Term::Priority(_) => 3,
            Term::Overdue => 4,
        };
        kind(self) == kind(other)
    }
}

/// How a column shows its cards: by default in the order stored (which moving
/// them changes); sorted, by what matters now, leaving the stored order alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// The soonest due date first; cards with none last.
    Due,
    /// The most urgent first.
    Priority,
}

impl Sort {
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Due => "due date",
            Sort::Priority => "priority",
        }
    }
}

/// What the board is filtered by, and how its columns are sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// As typed (and shown in the title bar).
    text: String,
    terms: Vec<Term>,
    /// The columns shown sorted, by id.
    sorts: HashMap<i64, Sort>,
    /// Who `@me` is.
    pub me: Option<i64>,
    /// What `is:overdue` counts from.
    pub today: Date,
    memo: Memo,
}

/// Which cards passed, column by column, for one generation of the board, one
/// `me` and one day: a filtered frame of a big board then costs the cards it
/// shows, not a look at every card. Forgotten when the terms change.
#[derive(Clone, Default)]
struct Memo(RefCell<Option<Passed>>);

#[derive(Clone)]
struct Passed {
    generation: u64,
    me: Option<i64>,
    today: Date,
    /// A column's cards that pass, as places in the column, in order.
    columns: HashMap<i64, Arc<[usize]>>,
}

/// A memo says nothing the terms do not.
impl PartialEq for Memo {
    fn eq(&self, _: &Memo) -> bool {
        true
    }
}

impl Eq for Memo {}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            text: String::new(),
            terms: Vec::new(),
            me: None,
            today: due::today(),
            sorts: HashMap::new(),
            memo: Memo::default(),
        }
    }
}

impl Filter {
    /// A filter of `text` (tests, and the prompt as one types).
    pub fn of(text: &str) -> Filter {
        let mut filter = Filter::default();
        filter.set(text);
        filter
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// How the column `status_id` is sorted, when it is.
    pub fn sort_of(&self, status_id: i64) -> Option<Sort> {
        self.sorts.get(&status_id).copied()
    }

    /// The next way of showing the column: sorted by due date, by priority, then
    /// as stored again.
    pub fn toggle_sort(&mut self, status_id: i64) -> Option<Sort> {
        let next = match self.sort_of(status_id) {
            None => Some(Sort::Due),
            Some(Sort::Due) => Some(Sort::Priority),
            Some(Sort::Priority) => None,
        };
        match next {
            Some(sort) => self.sorts.insert(status_id, sort),
            None => self.sorts.remove(&status_id),
        };
        *self.memo.0.borrow_mut() = None;
        next
    }

    /// Whether a column shows its cards other than as stored.
    pub fn reorders(&self, status_id: i64) -> bool {
        !self.is_empty() || self.sorts.contains_key(&status_id)
    }

    pub fn set(&mut self, text: &str) {
        self.text = text.trim().to_string();
        self.terms = self.text.split_whitespace().map(Term::parse).collect();
        self.memo = Memo::default();
    }

    pub fn clear(&mut self) {
        self.set("");
    }

    /// Adds a quick filter's term (`@me`, `#bug`...), replacing one of its kind;
    /// the same term again takes it away.
    pub fn toggle(&mut self, term: &str) {
        let new = Term::parse(term);
        let mut words: Vec<&str> = Vec::new();
        let mut had = false;
        for word in self.text.split_whitespace() {
            let old = Term::parse(word);
            if old == new {
                had = true;
            } else if matches!(new, Term::Word(_)) || !new.same_kind(&old) {
                // Words add up; a quick filter's term replaces one of its kind.
                words.push(word);
            }
        }
        if !had {
            words.push(term);
        }
        let text = words.join(" ");
        self.set(&text);
    }

    /// Whether `task` passes.
    pub fn matches(&self, board: &BoardState, task: &Task) -> bool {
        self.terms.iter().all(|term| self.holds(term, board, task))
    }

    /// Which cards of column `status_id` pass, as places in the column (from 0, in
    /// order): worked out once for the board as it is, then kept until the board,
    /// the terms, `me` or the day change.
    pub fn passing(&self, board: &BoardState, status_id: i64) -> Arc<[usize]> {
        let mut memo = self.memo.0.borrow_mut();
        let key = (board.generation(), self.me, self.today);
        if memo.as_ref().is_none_or(|p| (p.generation, p.me, p.today) != key) {
            let (generation, me, today) = key;
            *memo = Some(Passed { generation, me, today, columns: HashMap::new() });
        }
        let columns = &mut memo.as_mut().expect("just made").columns;
        let passing = columns.entry(status_id).or_insert_with(|| {
            let mut places: Vec<(usize, &Task)> =
                board.cards(status_id).enumerate().filter(|(_, t)| self.matches(board, t)).collect();
            // Stable: cards alike stay in the order stored.
            match self.sort_of(status_id) {
                Some(Sort::Due) => places.sort_by_key(|(_, t)| (t.due_date.is_none(), t.due_date.clone())),
                Some(Sort::Priority) => places.sort_by_key(|(_, t)| std::cmp::Reverse(t.priority)),
                None => {}
            }
            places.into_iter().map(|(n, _)| n).collect()
        });
        Arc::clone(passing)
    }

    /// Why `task` does not pass, in words ("it is not assigned to you"), for each
    /// term it fails.
    pub fn why_not(&self, board: &BoardState, task: &Task) -> Vec<String> {
        self.terms
            .iter()
            .filter(|term| !self.holds(term, board, task))
            .map(|term| match term {
                Term::Word(w) => format!("“{w}” is not in it"),
                Term::Mine => "it is not assigned to you".to_string(),
                Term::Unassigned => "it is assigned".to_string(),
                Term::Assignee(name) => format!("it is not assigned to {name}"),
                Term::Label(l) => format!("it has no label #{l}"),
                Term::Priority(p) => format!("its priority is not {}", p.as_str()),
                Term::Overdue => "it is not overdue".to_string(),
            })
            .collect()
    }

    fn holds(&self, term: &Term, board: &BoardState, task: &Task) -> bool {
        let assignee = || task.assignee_id.and_then(|id| board.member(id));
        let named = |name: &str, term: &str| name.to_lowercase().replace(char::is_whitespace, "_") == term;
        match term {
            Term::Word(w) => {
                has(&task.title, w)
                    || has(&task.description, w)
                    || task.labels.iter().any(|l| has(l, w))
                    || assignee().is_some_and(|m| has(&m.name, w))
            }
            Term::Mine => self.me.is_some() && task.assignee_id == self.me,
            Term::Unassigned => task.assignee_id.is_none(),
            Term::Assignee(name) => assignee().is_some_and(|m| named(&m.name, name)),
            Term::Label(l) => task.labels.iter().any(|x| named(x, l)),
            Term::Priority(p) => task.priority == *p,
            Term::Overdue => task
                .due_date
                .as_deref()
                .and_then(|d| due::when(d, self.today))
                .is_some_and(|w| matches!(w, due::When::Overdue(_))),
        }
    }
}

/// Whether `text` has `word` (lowercase) in it, whatever its case. Every card is
/// asked at each key typed in the filter, so ASCII, the common case, is compared
/// in place rather than lowercased into a new string.
fn has(text: &str, word: &str) -> bool {
    if text.is_ascii() && word.is_ascii() {
        let (text, word) = (text.as_bytes(), word.as_bytes());
        return word.is_empty() || text.windows(word.len()).any(|w| w.eq_ignore_ascii_case(word));
    }
    // Beyond ASCII, lowercasing may change lengths (and make ASCII of a Kelvin sign).
    text.to_lowercase().contains(word)
}

#[cfg(test)]
mod tests {
    use kanban_protocol::model::{Board, Member, Project, Role, Status};

    use super::*;

    fn task(id: i64, title: &str) -> Task {
        Task {
            id,
            project_id: 1,
            status_id: 1,
            title: title.into(),
            description: String::new(),
            assignee_id: None,
            priority: Priority::None,
            labels: Vec::new(),
            due_date: None,
            position: format!("a{id}"),
            version: 1,
            created_by: None,
            updated_by: None,
            created_at: String::new(),
            updated_at: String::new(),
            checklist: Vec::new(),
        }
    }

    fn board(tasks: Vec<Task>) -> BoardState {
        let member =
            |id, name: &str| Member { id, name: name.into(), color: "#ffffff".into(), role: Role::Member };
        BoardState::from(Board {
            project: Project { id: 1, name: "p".into(), role: Role::Owner, archived: false },
            rev: 1,
            epoch: 1,
            statuses: vec![Status {
                id: 1,
                project_id: 1,
                name: "Todo".into(),
                color: None,
                wip_limit: None,
                position: "a".into(),
                version: 1,
            }],
            tasks,
            members: vec![member(7, "ann"), member(8, "bob")],
            comments: Default::default(),
        })
    }

    #[test]
    fn terms_each_hold() {
        let mut mine = task(1, "Fix login");
        mine.assignee_id = Some(7);
        mine.labels = vec!["Bug".into()];
        mine.priority = Priority::High;
        mine.due_date = Some("2026-11-30".into());
        let mut other = task(2, "Write docs");
        other.assignee_id = Some(8);
        other.description = "about the login page".into();
        other.due_date = Some("2026-12-24".into());
        let b = board(vec![mine.clone(), other.clone()]);
        let check = |text: &str| {
            let mut f = Filter::of(text);
            f.me = Some(7);
            f.today = jiff::civil::date(2026, 12, 1);
            b.tasks.iter().filter(|t| f.matches(&b, t)).map(|t| t.id).collect::<Vec<_>>()
        };
        assert_eq!(check(""), [1, 2]);
        assert_eq!(check("login"), [1, 2], "the description counts");
        assert_eq!(check("@me"), [1]);
        assert_eq!(check("@BOB"), [2]);
        assert_eq!(check("@none"), Vec::<i64>::new());
        assert_eq!(check("#bug"), [1]);
        assert_eq!(check("!high"), [1]);
        assert_eq!(check("!nonsense"), Vec::<i64>::new(), "not a priority: a word");
        assert_eq!(check("is:overdue"), [1]);
        assert_eq!(check("login @bob"), [2], "every term holds");
        assert_eq!(check("LOGIN"), [1, 2], "whatever the case");
        assert_eq!(check("fix"), [1]);
        let mut f = Filter::of("@me #bug");
        f.me = Some(7);
        assert_eq!(f.why_not(&b, &other), ["it is not assigned to you", "it has no label #bug"]);
    }

    #[test]
    fn what_passes_is_kept_until_the_board_or_the_filter_changes() {
        let mut b = board(vec![task(1, "Fix login"), task(2, "Write docs"), task(3, "login again")]);
        let mut f = Filter::of("login");
        assert_eq!(&*f.passing(&b, 1), [0, 2]);
        b.tasks[1].title = "login docs".into();
        assert_eq!(&*f.passing(&b, 1), [0, 2], "kept while the board says it is the same");
        b.reindex();
        assert_eq!(&*f.passing(&b, 1), [0, 1, 2], "a new generation");
        f.set("docs");
        assert_eq!(&*f.passing(&b, 1), [1]);
        assert!(f.passing(&b, 9).is_empty(), "a column the board does not have");
        f.set("@me");
        assert!(f.passing(&b, 1).is_empty());
        b.tasks[2].assignee_id = Some(7);
        b.reindex();
        f.me = Some(7);
        assert_eq!(&*f.passing(&b, 1), [2], "who I am counts");
        let mut renamed = b.members.clone();
        renamed[0].name = "anna".into();
        f.set("@ann");
        assert_eq!(&*f.passing(&b, 1), [2]);
        b.set_members(renamed);
        assert!(f.passing(&b, 1).is_empty(), "new members, a new generation");
    }

    #[test]
    fn words_are_found_whatever_the_case() {
        assert!(has("Fix the LOGIN page", "login"));
        assert!(has("anything", ""));
        assert!(!has("log", "login"));
        assert!(has("Ärger in KÖLN", "köln"), "beyond ASCII");
        assert!(has("\u{212A}elvin", "kelvin"), "a Kelvin sign lowercases to k");
    }

    #[test]
    fn quick_filters_replace_their_kind_and_toggle() {
        let mut f = Filter::of("login");
        f.toggle("@me");
        assert_eq!(f.as_str(), "login @me");
        f.toggle("@bob");
        assert_eq!(f.as_str(), "login @bob", "one assignee at a time");
        f.toggle("!high");
        f.toggle("@bob");
        assert_eq!(f.as_str(), "login !high", "the same again takes it away");
        f.toggle("is:overdue");
        assert_eq!(f.as_str(), "login !high is:overdue");
    }
}
