//! The card form (new card, edit, and the detail view), the one-line prompt, and
//! the yes/no question: their state and their keys. Text fields are real editors
//! (cursor, word moves, undo, paste) from `ratatui-textarea`.

use super::input::{KeyCode, KeyEvent, KeyModifiers};
use kanban_protocol::check::{self, FieldName};
use kanban_protocol::model::{Member, Priority, Task};
use kanban_protocol::request::{NewTask, TaskPatch};
use ratatui::style::{Modifier, Style};
use ratatui_textarea::TextArea;

/// The form's fields, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Title,
    Description,
    Assignee,
    Priority,
    Labels,
    Due,
}

impl Field {
    pub const ALL: [Field; 6] =
        [Field::Title, Field::Description, Field::Assignee, Field::Priority, Field::Labels, Field::Due];

    pub fn label(self) -> &'static str {
        match self {
            Field::Title => "Title",
            Field::Description => "Description",
            Field::Assignee => "Assignee",
            Field::Priority => "Priority",
            Field::Labels => "Labels",
            Field::Due => "Due",
        }
    }

    /// The form's field for a field the API names, if the form has one.
    pub fn of(name: FieldName) -> Option<Field> {
        match name {
            FieldName::Title => Some(Field::Title),
            FieldName::Description => Some(Field::Description),
            FieldName::Labels => Some(Field::Labels),
            FieldName::DueDate => Some(Field::Due),
            FieldName::ColumnName
            | FieldName::Color
            | FieldName::WipLimit
            | FieldName::Body
            | FieldName::Text => None,
        }
    }

    fn step(self, delta: isize) -> Field {
        let i = Field::ALL.iter().position(|f| *f == self).unwrap_or(0) as isize;
        Field::ALL[(i + delta).rem_euclid(Field::ALL.len() as isize) as usize]
    }
}

/// A key typed into a text field. The readline keys people type without
/// thinking work as readline's: `Ctrl-A`/`Ctrl-E` to the line's start and end,
/// `Ctrl-U`/`Ctrl-K` delete to them, `Ctrl-W` the word before, `Alt-B`/`Alt-F`
/// move by words. Undo moves to `Alt-U` (as nano has it; `Ctrl-R` redoes), since
/// `Ctrl-U` is readline's.
fn edit(area: &mut TextArea<'static>, key: KeyEvent) {
    let (ctrl, alt) =
        (key.modifiers.contains(KeyModifiers::CONTROL), key.modifiers.contains(KeyModifiers::ALT));
    match key.code {
        KeyCode::Char('u') if ctrl && !alt => {
            area.delete_line_by_head();
        }
        KeyCode::Char('u') if alt && !ctrl => {
            area.undo();
        }
        _ => {
            area.input(key);
        }
    }
}

/// A field of running text (the description): wrapped softly at the box's width,
/// between words where it can, and the cursor moves through the rows as shown.
fn prose(value: &str) -> TextArea<'static> {
    let mut area = text(value);
    area.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
    area
}

fn text(value: &str) -> TextArea<'static> {
    let lines: Vec<String> = value.split('\n').map(str::to_string).collect();
    let mut area = TextArea::new(lines);
    area.move_cursor(ratatui_textarea::CursorMove::Bottom);
    area.move_cursor(ratatui_textarea::CursorMove::End);
    area.set_cursor_line_style(Style::default());
    area
}

/// Shows the text cursor only in the field that has the focus.
fn focus(area: &mut TextArea<'_>, focused: bool) {
    let style = if focused { Style::default().add_modifier(Modifier::REVERSED) } else { Style::default() };
    area.set_cursor_style(style);
}

/// A message as `git commit` takes it: the first line is the title, a blank
/// line after it is left out, the rest is the description (without the editor's
/// final newline).
pub fn split_message(text: &str) -> (String, String) {
    let text = text.replace("\r\n", "\n");
    let mut lines = text.split('\n');
    let title = lines.next().unwrap_or_default().trim().to_string();
    let rest: Vec<&str> = lines.collect();
    let rest = match rest.split_first() {
        Some((first, after)) if first.trim().is_empty() => after,
        _ => &rest[..],
    };
    (title, rest.join("\n").trim_end().to_string())
}

fn joined(area: &TextArea<'_>) -> String {
    area.lines().join("\n")
}

/// A card with nothing in it, to compare a new card's form with.
fn blank_task(status_id: i64) -> Task {
    Task {
        id: 0,
        project_id: 0,
        status_id,
        title: String::new(),
        description: String::new(),
        assignee_id: None,
        priority: Priority::None,
        labels: Vec::new(),
        due_date: None,
        position: String::new(),
        version: 0,
        created_by: None,
        updated_by: None,
        created_at: String::new(),
        updated_at: String::new(),
        checklist: Vec::new(),
    }
}

/// A card being created, edited or looked at.
#[derive(Debug, Clone)]
pub struct CardForm {
    /// `None` for a new card.
    pub task: Option<Task>,
    pub status_id: i64,
    pub field: Field,
    pub title: TextArea<'static>,
    pub description: TextArea<'static>,
    pub labels: TextArea<'static>,
    pub due: TextArea<'static>,
    pub assignee: Option<i64>,
    pub priority: Priority,
    /// Viewers see the form but cannot change it.
    pub read_only: bool,
    /// The members one can assign, in order.
    pub members: Vec<Member>,
    /// Why the last save was refused, and the field at fault when there is one.
    pub error: Option<(Option<Field>, String)>,
    /// What someone else did to the card while it was open.
    pub note: Option<String>,
    /// Who deleted the card while it was open: saving makes a new card of the text.
    pub deleted_by: Option<String>,
    /// A question before typed text is let go.
    pub asking: Option<Ask>,
    /// The day a date typed in words counts from (the app's today, given at
    /// each key).
    pub today: jiff::civil::Date,
}

/// A question the form asks before it lets go of changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// `Esc` on a form with changes.
    Discard,
    /// `Ctrl-C` on a form with changes.
    Quit,
}

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq)]
pub enum FormOutcome {
    Editing,
    Cancel,
    Create(NewTask),
    /// Changes to an existing card (only the fields that changed).
    Update {
        task_id: i64,
        patch: TaskPatch,
    },
    /// Saved without changes.
    Unchanged,
    /// Ctrl-G: the title and description to the person's editor.
    Editor,
    /// Quit the program, changes and all (asked first).
    Quit,
}

impl CardForm {
    pub fn new_card(status_id: i64, members: Vec<Member>) -> Self {
        let mut form = Self {
            task: None,
            status_id,
            field: Field::Title,
            title: text(""),
            description: prose(""),
            labels: text(""),
            due: text(""),
            assignee: None,
            priority: Priority::None,
            read_only: false,
            members,
            error: None,
            note: None,
            deleted_by: None,
            asking: None,
            today: crate::due::today(),
        };
        form.refocus();
        form
    }

    pub fn edit(task: &Task, members: Vec<Member>, read_only: bool) -> Self {
        let mut form = Self {
            status_id: task.status_id,
            field: Field::Title,
            title: text(&task.title),
            description: prose(&task.description),
            labels: text(&task.labels.join(", ")),
            due: text(task.due_date.as_deref().unwrap_or("")),
            assignee: task.assignee_id,
            priority: task.priority,
            read_only,
            members,
            task: Some(task.clone()),
            error: None,
            note: None,
            deleted_by: None,
            asking: None,
            today: crate::due::today(),
        };
        form.refocus();
        form
    }

    /// A form holding a new card that was not made (kept from an earlier run).
    pub fn from_new(new: &NewTask, members: Vec<Member>) -> Self {
        let mut form = Self::new_card(new.status_id.unwrap_or(0), members);
        form.title = text(&new.title);
        form.description = prose(new.description.as_deref().unwrap_or(""));
        form.labels = text(&new.labels.clone().unwrap_or_default().join(", "));
        form.due = text(new.due_date.as_deref().unwrap_or(""));
        form.assignee = new.assignee_id;
        form.priority = new.priority.unwrap_or_default();
        form.refocus();
        form
    }

    /// Puts a patch's values into the form (a change kept from an earlier run).
    pub fn apply(&mut self, patch: &TaskPatch) {
        if let Some(t) = &patch.title {
            self.title = text(t);
        }
        if let Some(d) = &patch.description {
            self.description = prose(d);
        }
        if let Some(l) = &patch.labels {
            self.labels = text(&l.join(", "));
        }
        if let Some(d) = &patch.due_date {
            self.due = text(d.as_deref().unwrap_or(""));
        }
        if let Some(a) = patch.assignee_id {
            self.assignee = a;
        }
        if let Some(p) = patch.priority {
            self.priority = p;
        }
        self.refocus();
    }

    /// Moves an edit refused as stale onto `current`, the card as it is now: each
    /// field this form changed keeps this form's value, each field it left alone
    /// takes the current one, so saving again changes only what this form changed.
    pub fn rebase(&mut self, current: Task) {
        let Some(base) = self.task.take() else {
            return;
        };
        if joined(&self.title) == base.title {
            self.title = text(&current.title);
        }
        if joined(&self.description) == base.description {
            self.description = prose(&current.description);
        }
        if joined(&self.labels) == base.labels.join(", ") {
            self.labels = text(&current.labels.join(", "));
        }
        if joined(&self.due) == base.due_date.as_deref().unwrap_or("") {
            self.due = text(current.due_date.as_deref().unwrap_or(""));
        }
        if self.assignee == base.assignee_id {
            self.assignee = current.assignee_id;
        }
        if self.priority == base.priority {
            self.priority = current.priority;
        }
        self.status_id = current.status_id;
        self.task = Some(current);
        self.refocus();
    }

    /// Whether anything in the form differs from the card (or, for a new card,
    /// from an empty form): what leaving it would lose.
    pub fn is_dirty(&self) -> bool {
        if self.read_only {
            return false;
        }
        let blank = blank_task(self.status_id);
        let base = self.task.as_ref().unwrap_or(&blank);
        joined(&self.title) != base.title
            || joined(&self.description) != base.description
            || joined(&self.labels) != base.labels.join(", ")
            || joined(&self.due) != base.due_date.as_deref().unwrap_or("")
            || self.assignee != base.assignee_id
            || self.priority != base.priority
            || self.deleted_by.is_some()
    }

    /// The card changed while the form was open, by `who`: the form moves onto it as
    /// a refused save would (the fields this form changed keep its values), and says
    /// what happened. A move alone changes no field: it is said, not warned about.
    pub fn follow(&mut self, now: Task, who: &str, column: Option<&str>) {
        let Some(base) = &self.task else { return };
        let mut changed = Vec::new();
        let mut clash = false;
        let mut field = |name: &'static str, theirs: bool, mine: bool| {
            if theirs {
                changed.push(name);
                clash |= mine;
            }
        };
        field("title", now.title != base.title, joined(&self.title) != base.title);
        field(
            "description",
            now.description != base.description,
            joined(&self.description) != base.description,
        );
        field("labels", now.labels != base.labels, joined(&self.labels) != base.labels.join(", "));
        field(
            "due date",
            now.due_date != base.due_date,
            joined(&self.due) != base.due_date.as_deref().unwrap_or(""),
        );
        field("assignee", now.assignee_id != base.assignee_id, self.assignee != base.assignee_id);
        field("priority", now.priority != base.priority, self.priority != base.priority);
        let moved = now.status_id != base.status_id;
        self.note = match (changed.is_empty(), moved) {
            (true, true) => Some(format!("{who} moved this card to {}", column.unwrap_or("another column"))),
            (true, false) => self.note.take(),
            (false, _) if clash => Some(format!(
                "{who} changed the {} — you changed it too: saving keeps yours",
                changed.join(", ")
            )),
            (false, _) => Some(format!("{who} changed the {}: shown here", changed.join(", "))),
        };
        self.rebase(now);
    }

    /// The card was deleted while the form was open, by `who`: the text stays, and
    /// saving makes a new card of it.
    pub fn deleted(&mut self, who: &str) {
        if self.deleted_by.is_none() {
            self.deleted_by = Some(who.to_string());
        }
    }

    /// Puts the text cursor in the focused field only.
    fn refocus(&mut self) {
        let field = self.field;
        focus(&mut self.title, field == Field::Title && !self.read_only);
        focus(&mut self.description, field == Field::Description && !self.read_only);
        focus(&mut self.labels, field == Field::Labels && !self.read_only);
        focus(&mut self.due, field == Field::Due && !self.read_only);
    }

    /// The project's members changed: they are the choices now. An assignee who
    /// is no longer a member cannot be saved, so the form says so and unassigns.
    pub fn set_members(&mut self, members: Vec<Member>) {
        if let Some(id) = self.assignee
            && !members.iter().any(|m| m.id == id)
        {
            let name = self.assignee_name().unwrap_or("The assignee").to_string();
            self.assignee = None;
            self.note = Some(format!("{name} is no longer a member of the project: unassigned here"));
        }
        self.members = members;
    }

    /// The due field's title: the date understood from what is typed, or how to
    /// type one.
    pub fn due_title(&self) -> String {
        match crate::due::understand(&joined(&self.due), self.today) {
            Some(date) => format!("Due: {}", date.strftime("%a %Y-%m-%d")),
            None => "Due (YYYY-MM-DD, fri, +3d)".into(),
        }
    }

    pub fn assignee_name(&self) -> Option<&str> {
        self.assignee.and_then(|id| self.members.iter().find(|m| m.id == id)).map(|m| m.name.as_str())
    }

    fn cycle_assignee(&mut self, delta: isize) {
        // None, then each member.
        let ids: Vec<Option<i64>> =
            std::iter::once(None).chain(self.members.iter().map(|m| Some(m.id))).collect();
        let i = ids.iter().position(|id| *id == self.assignee).unwrap_or(0) as isize;
        self.assignee = ids[(i + delta).rem_euclid(ids.len() as isize) as usize];
    }

    fn cycle_priority(&mut self, delta: isize) {
        let i = Priority::ALL.iter().position(|p| *p == self.priority).unwrap_or(0) as isize;
        self.priority = Priority::ALL[(i + delta).rem_euclid(Priority::ALL.len() as isize) as usize];
    }

    /// Inserts pasted text into the current text field (one line unless it is the
    /// description).
    pub fn paste(&mut self, pasted: &str) {
        if self.read_only {
            return;
        }
        let one_line = pasted.replace(['\r', '\n'], " ");
        match self.field {
            Field::Description => {
                // Lines and tabs are kept; other control characters (the escape
                // sequences of text copied from a terminal) the board does not take.
                let text = pasted.replace("\r\n", "\n").replace('\r', "\n");
                self.description
                    .insert_str(text.replace(|c: char| c.is_control() && c != '\n' && c != '\t', ""));
            }
            Field::Title => {
                self.title.insert_str(one_line);
            }
            Field::Labels => {
                self.labels.insert_str(one_line);
            }
            Field::Due => {
                self.due.insert_str(one_line);
            }
            Field::Assignee | Field::Priority => {}
        }
    }

    /// Completes the `@prefix` before the description's cursor to a member's name.
    fn complete_mention(&mut self) -> bool {
        let names: Vec<&str> = self.members.iter().map(|m| m.name.as_str()).collect();
        crate::mention::complete(&mut self.description, &names)
    }

    pub fn key(&mut self, key: KeyEvent) -> FormOutcome {
        let outcome = self.handle(key);
        self.refocus();
        outcome
    }

    fn handle(&mut self, key: KeyEvent) -> FormOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if let Some(ask) = self.asking.take() {
            // y lets the changes go; any other key goes back to them.
            return match (key.code, ask) {
                (KeyCode::Char('y' | 'Y'), Ask::Discard) => FormOutcome::Cancel,
                (KeyCode::Char('y' | 'Y'), Ask::Quit) => FormOutcome::Quit,
                _ => FormOutcome::Editing,
            };
        }
        match key.code {
            KeyCode::Esc if self.is_dirty() => self.asking = Some(Ask::Discard),
            KeyCode::Esc => return FormOutcome::Cancel,
            // Right after `@prefix` in the description, Tab completes a member's
            // name; anywhere else it moves on.
            KeyCode::Tab
                if self.field == Field::Description && !self.read_only && self.complete_mention() => {}
            KeyCode::Tab => self.field = self.field.step(1),
            KeyCode::BackTab => self.field = self.field.step(-1),
            KeyCode::Char('s') if ctrl => return self.save(),
            KeyCode::Char('g') if ctrl && !self.read_only => return FormOutcome::Editor,
            _ if self.read_only => {
                if matches!(key.code, KeyCode::Enter | KeyCode::Char('q')) {
                    return FormOutcome::Cancel;
                }
            }
            KeyCode::Enter if self.field != Field::Description => return self.save(),
            KeyCode::Left | KeyCode::Char('h') if self.field == Field::Assignee => self.cycle_assignee(-1),
            KeyCode::Right | KeyCode::Char('l') | KeyCode::Char(' ') if self.field == Field::Assignee => {
                self.cycle_assignee(1)
            }
            KeyCode::Left | KeyCode::Char('h') if self.field == Field::Priority => self.cycle_priority(-1),
            KeyCode::Right | KeyCode::Char('l') | KeyCode::Char(' ') if self.field == Field::Priority => {
                self.cycle_priority(1)
            }
            _ => {
                let area = match self.field {
                    Field::Title => &mut self.title,
                    Field::Description => &mut self.description,
                    Field::Labels => &mut self.labels,
                    Field::Due => &mut self.due,
                    Field::Assignee | Field::Priority => return FormOutcome::Editing,
                };
                edit(area, key);
            }
        }
        FormOutcome::Editing
    }

    /// The title and the description as a file for an editor: the title, a blank
    /// line, the description, as `git commit` writes a message.
    pub fn editor_text(&self) -> String {
        let description = joined(&self.description);
        match description.as_str() {
            "" => format!("{}\n", joined(&self.title)),
            d => format!("{}\n\n{d}\n", joined(&self.title)),
        }
    }

    /// Takes the title and the description back from an editor's file (see
    /// [`CardForm::editor_text`]); the other fields stay as they are.
    pub fn from_editor(&mut self, message: &str) {
        let (title, description) = split_message(message);
        self.title = text(&title);
        self.description = prose(&description);
        self.refocus();
    }

    /// The change that saving makes, checked the way the server checks it; a value
    /// it would refuse stays in the form, with the reason beside its field.
    pub fn save(&mut self) -> FormOutcome {
        if self.read_only {
            return FormOutcome::Cancel;
        }
        match self.checked() {
            Ok(outcome) => {
                self.error = None;
                outcome
            }
            Err(invalid) => {
                let field = Field::of(invalid.field);
                if let Some(f) = field {
                    self.field = f;
                }
                self.error = Some((field, invalid.message));
                FormOutcome::Editing
            }
        }
    }

    fn checked(&self) -> Result<FormOutcome, check::Invalid> {
        let title = check::check_title(&joined(&self.title))?;
        let description = joined(&self.description);
        check::check_description(&description)?;
        let labels: Vec<String> =
            joined(&self.labels).split(',').map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect();
        let labels = check::check_labels(&labels)?;
        let due = match joined(&self.due).trim() {
            "" => None,
            typed => Some(
                crate::due::understand(typed, self.today)
                    .ok_or_else(|| check::Invalid {
                        field: FieldName::DueDate,
                        message: format!(
                            "due_date {typed:?} is not a date: YYYY-MM-DD, today, tomorrow, a weekday, \
                             +3d, +2w, next week, eow or eom"
                        ),
                    })?
                    .to_string(),
            ),
        };
        // A card deleted meanwhile is saved as a new one.
        let task = self.task.as_ref().filter(|_| self.deleted_by.is_none());
        Ok(match task {
            None => FormOutcome::Create(NewTask {
                title,
                status_id: Some(self.status_id),
                description: (!description.is_empty()).then_some(description),
                assignee_id: self.assignee,
                priority: Some(self.priority),
                labels: (!labels.is_empty()).then_some(labels),
                due_date: due,
                before_id: None,
                after_id: None,
            }),
            Some(task) => {
                let patch = TaskPatch {
                    title: (title != task.title).then_some(title),
                    description: (description != task.description).then_some(description),
                    assignee_id: (self.assignee != task.assignee_id).then_some(self.assignee),
                    priority: (self.priority != task.priority).then_some(self.priority),
                    labels: (labels != task.labels).then_some(labels),
                    due_date: (due != task.due_date).then_some(due),
                    version: Some(task.version),
                };
                if patch == (TaskPatch { version: Some(task.version), ..TaskPatch::default() }) {
                    FormOutcome::Unchanged
                } else {
                    FormOutcome::Update { task_id: task.id, patch }
                }
            }
        })
    }
}

/// What a one-line prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// A new column after the given one (or last).
    NewColumn {
        after_id: Option<i64>,
    },
    RenameColumn {
        status_id: i64,
    },
    /// A column's WIP limit: a number, or nothing for none.
    ColumnLimit {
        status_id: i64,
    },
    /// A column's color: a palette name or `#rrggbb`, or nothing for none.
    ColumnColor {
        status_id: i64,
    },
    Filter,
    /// A comment on a card, from the board or from the card's view; with
    /// `comment_id`, a change of that comment.
    Comment {
        task_id: i64,
        from_view: bool,
        comment_id: Option<i64>,
    },
    /// A new board's name.
    NewBoard,
    RenameBoard {
        project_id: i64,
    },
    /// Someone to give access to the open board: `NAME [ROLE]`.
    AddMember {
        project_id: i64,
    },
    /// An item of a card's checklist, from the card's view: a new one (after
    /// item `after`, or at the end), or with `item_id` a change of that one.
    Item {
        task_id: i64,
        item_id: Option<i64>,
        after: Option<i64>,
    },
}

/// A question with a text answer: one line, but for a comment, which takes lines
/// (pasted, or Alt-Enter).
#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: TextArea<'static>,
    /// Why the answer was refused; the prompt stays, with the text.
    pub error: Option<String>,
    /// A comment written would be lost: asked first, as a card's form asks.
    pub asking: Option<Ask>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptOutcome {
    Editing,
    Cancel,
    Submit(String),
    /// Ctrl-C, confirmed: quit.
    Quit,
}

impl Prompt {
    pub fn new(kind: PromptKind, initial: &str) -> Self {
        let mut input = text(initial);
        focus(&mut input, true);
        Self { kind, input, error: None, asking: None }
    }

    pub fn is_comment(&self) -> bool {
        matches!(self.kind, PromptKind::Comment { .. })
    }

    /// Whether something was written that leaving would lose (a comment's text;
    /// the other answers are a few characters, given again in a moment).
    pub fn is_dirty(&self) -> bool {
        self.is_comment() && !self.value().trim().is_empty()
    }

    /// The question asked before the text is lost, if one is.
    pub fn question(&self) -> Option<&'static str> {
        match self.asking? {
            Ask::Discard => Some("Discard this comment? y discards it, any other key goes back to it"),
            Ask::Quit => Some("Quit and lose this comment? y quits, any other key goes back to it"),
        }
    }

    pub fn title(&self) -> &'static str {
        match self.kind {
            PromptKind::NewColumn { .. } => "New column",
            PromptKind::RenameColumn { .. } => "Rename column",
            PromptKind::ColumnLimit { .. } => "WIP limit (empty: none)",
            PromptKind::ColumnColor { .. } => "Color: a name or #rrggbb (empty: none)",
            PromptKind::Filter => "Filter: words, @name, #label, !priority, is:overdue",
            PromptKind::Comment { comment_id: None, .. } => {
                "Comment (Enter posts it, Alt-Enter starts a line)"
            }
            PromptKind::Comment { .. } => "Edit comment (Enter saves it, Alt-Enter starts a line)",
            PromptKind::NewBoard => "New board: its name",
            PromptKind::RenameBoard { .. } => "Rename the board",
            PromptKind::AddMember { .. } => {
                "Add a member: a user's name, and owner, member or viewer (member)"
            }
            PromptKind::Item { item_id: None, .. } => "New checklist item (Enter adds it, Esc stops)",
            PromptKind::Item { .. } => "Edit checklist item",
        }
    }

    pub fn value(&self) -> String {
        joined(&self.input)
    }

    pub fn paste(&mut self, pasted: &str) {
        if self.is_comment() {
            // A comment keeps the lines pasted, and nothing else a terminal obeys.
            let text = pasted.replace("\r\n", "\n").replace('\r', "\n");
            self.input.insert_str(text.replace(|c: char| c.is_control() && c != '\n' && c != '\t', ""));
        } else {
            self.input.insert_str(pasted.replace(['\r', '\n'], " "));
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> PromptOutcome {
        if let Some(asking) = self.asking.take() {
            return match (key.code, asking) {
                (KeyCode::Char('y' | 'Y'), Ask::Discard) => PromptOutcome::Cancel,
                (KeyCode::Char('y' | 'Y'), Ask::Quit) => PromptOutcome::Quit,
                _ => PromptOutcome::Editing,
            };
        }
        match key.code {
            KeyCode::Esc if self.is_dirty() => {
                self.asking = Some(Ask::Discard);
                PromptOutcome::Editing
            }
            KeyCode::Esc => PromptOutcome::Cancel,
            KeyCode::Enter if self.is_comment() && key.modifiers.contains(KeyModifiers::ALT) => {
                self.input.insert_newline();
                PromptOutcome::Editing
            }
            KeyCode::Enter => PromptOutcome::Submit(self.value().trim().to_string()),
            _ => {
                edit(&mut self.input, key);
                PromptOutcome::Editing
            }
        }
    }
}

/// A yes/no question before something that cannot be undone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    DeleteTask {
        task_id: i64,
        title: String,
    },
    /// A comment, from the card's view (which comes back after the answer).
    DeleteComment {
        comment_id: i64,
        author: String,
    },
    DeleteColumn {
        status_id: i64,
        name: String,
        cards: usize,
    },
    /// A member's access to the board, from the members' list (which comes back).
    RemoveMember {
        project_id: i64,
        member_id: i64,
        name: String,
    },
    /// A board to archive, from the picker.
    ArchiveBoard {
        project_id: i64,
        name: String,
    },
}

impl Confirm {
    pub fn question(&self) -> String {
        match self {
            Confirm::DeleteTask { title, .. } => {
                format!("Delete card \"{title}\"? It goes to the trash (y/n)")
            }
            Confirm::DeleteComment { author, .. } => format!("Delete {author}'s comment for good? (y/n)"),
            Confirm::RemoveMember { name, .. } => format!("Take {name}'s access to this board away? (y/n)"),
            Confirm::ArchiveBoard { name, .. } => {
                format!("Archive {name}? It takes no changes until an owner brings it back (y/n)")
            }
            Confirm::DeleteColumn { name, cards: 0, .. } => {
                format!("Delete column \"{name}\"? It goes to the trash (y/n)")
            }
            Confirm::DeleteColumn { name, cards: 1, .. } => {
                format!("Delete column \"{name}\" and its card? They go to the trash (y/n)")
            }
            Confirm::DeleteColumn { name, cards, .. } => {
                format!("Delete column \"{name}\" and its {cards} cards? They go to the trash (y/n)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::input::KeyEventKind;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    trait Ctrl {
        fn with_ctrl(self) -> Self;
    }

    impl Ctrl for KeyEvent {
        fn with_ctrl(mut self) -> Self {
            self.modifiers = KeyModifiers::CONTROL;
            self
        }
    }

    fn typed(form: &mut CardForm, s: &str) {
        for c in s.chars() {
            form.key(key(KeyCode::Char(c)));
        }
    }

    fn member(id: i64, name: &str) -> Member {
        Member { id, name: name.into(), color: "#fff".into(), role: kanban_protocol::model::Role::Member }
    }

    #[test]
    fn text_fields_take_the_readline_keys() {
        let with = |c: char, modifiers: KeyModifiers| {
            let mut k = key(KeyCode::Char(c));
            k.modifiers = modifiers;
            k
        };
        let (ctrl, alt) = (KeyModifiers::CONTROL, KeyModifiers::ALT);
        let mut form = CardForm::new_card(3, vec![]);
        let title = |form: &CardForm| joined(&form.title);
        typed(&mut form, "fix the login");
        form.key(with('a', ctrl));
        typed(&mut form, "Now ");
        assert_eq!(title(&form), "Now fix the login", "Ctrl-A: the line's start");
        form.key(with('e', ctrl));
        form.key(with('w', ctrl));
        assert_eq!(title(&form), "Now fix the ", "Ctrl-W: the word before");
        form.key(with('b', alt));
        form.key(with('b', alt));
        form.key(with('k', ctrl));
        assert_eq!(title(&form), "Now ", "Alt-B twice, then Ctrl-K: to the end");
        form.key(with('f', alt));
        typed(&mut form, "bug");
        form.key(with('u', ctrl));
        assert_eq!(title(&form), "", "Ctrl-U: to the start");
        form.key(with('u', alt));
        assert_eq!(title(&form), "Now bug", "Alt-U undoes");
    }

    #[test]
    fn a_due_date_in_words_is_saved_as_the_date_it_names() {
        let mut form = CardForm::new_card(3, vec![]);
        form.today = jiff::civil::date(2026, 12, 1);
        typed(&mut form, "Party");
        form.field = Field::Due;
        typed(&mut form, "fri");
        assert_eq!(form.due_title(), "Due: Fri 2026-12-04", "the form says what it understood");
        let FormOutcome::Create(new) = form.key(key(KeyCode::Enter)) else { panic!("saved") };
        assert_eq!(new.due_date.as_deref(), Some("2026-12-04"));

        let mut form = CardForm::new_card(3, vec![]);
        typed(&mut form, "Party");
        form.field = Field::Due;
        typed(&mut form, "someday");
        assert_eq!(form.due_title(), "Due (YYYY-MM-DD, fri, +3d)");
        assert_eq!(form.key(key(KeyCode::Enter)), FormOutcome::Editing, "refused, kept");
        let (field, said) = form.error.clone().expect("the reason");
        assert_eq!(field, Some(Field::Due));
        assert!(said.starts_with("due_date \"someday\" is not a date: YYYY-MM-DD, today"), "{said}");
    }

    #[test]
    fn a_new_card_from_keys() {
        let mut form = CardForm::new_card(3, vec![member(1, "ann"), member(2, "bob")]);
        typed(&mut form, "Fix the bug");
        form.key(key(KeyCode::Tab));
        typed(&mut form, "line one");
        form.key(key(KeyCode::Enter));
        typed(&mut form, "line two");
        form.key(key(KeyCode::Tab)); // assignee
        form.key(key(KeyCode::Right));
        form.key(key(KeyCode::Right));
        form.key(key(KeyCode::Tab)); // priority
        form.key(key(KeyCode::Left));
        form.key(key(KeyCode::Tab)); // labels
        form.paste("bug, ui,, ");
        form.key(key(KeyCode::Tab)); // due
        typed(&mut form, "2026-12-01");
        let mut enter = key(KeyCode::Enter);
        enter.kind = KeyEventKind::Press;
        let FormOutcome::Create(new) = form.key(enter) else { panic!("saved") };
        assert_eq!(new.title, "Fix the bug");
        assert_eq!(new.description.as_deref(), Some("line one\nline two"));
        assert_eq!(new.assignee_id, Some(2));
        assert_eq!(new.priority, Some(Priority::Urgent));
        assert_eq!(new.labels, Some(vec!["bug".to_string(), "ui".to_string()]));
        assert_eq!(new.due_date.as_deref(), Some("2026-12-01"));
        assert_eq!(new.status_id, Some(3));
    }

    #[test]
    fn a_pasted_description_keeps_lines_and_tabs_and_drops_escapes() {
        let mut form = CardForm::new_card(3, Vec::new());
        typed(&mut form, "Colors");
        form.key(key(KeyCode::Tab));
        form.paste("\u{1b}[31mred\u{1b}[0m\r\n\tok\u{9b}1m\u{7}");
        let mut enter = key(KeyCode::Enter);
        enter.kind = KeyEventKind::Press;
        form.key(key(KeyCode::Tab));
        let FormOutcome::Create(new) = form.key(enter) else { panic!("saved") };
        assert_eq!(new.description.as_deref(), Some("[31mred[0m\n\tok1m"));
    }

    #[test]
    fn editing_sends_only_what_changed_with_the_version() {
        let task = Task {
            id: 9,
            project_id: 1,
            status_id: 1,
            title: "Old".into(),
            description: "keep".into(),
            assignee_id: Some(1),
            priority: Priority::Low,
            labels: vec!["a".into()],
            due_date: None,
            position: "V".into(),
            version: 4,
            created_by: None,
            updated_by: None,
            created_at: String::new(),
            updated_at: String::new(),
            checklist: Vec::new(),
        };
        let mut form = CardForm::edit(&task, vec![member(1, "ann")], false);
        assert_eq!(
            form.key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
            FormOutcome::Unchanged
        );
        form.key(key(KeyCode::Backspace));
        form.key(key(KeyCode::Backspace));
        form.key(key(KeyCode::Backspace));
        typed(&mut form, "New");
        form.key(key(KeyCode::Tab));
        form.key(key(KeyCode::Tab));
        form.key(key(KeyCode::Left)); // unassign
        let FormOutcome::Update { task_id, patch } =
            form.key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL))
        else {
            panic!("an update")
        };
        assert_eq!(task_id, 9);
        assert_eq!(
            patch,
            TaskPatch {
                title: Some("New".into()),
                assignee_id: Some(None),
                version: Some(4),
                ..TaskPatch::default()
            }
        );
        let mut viewer = CardForm::edit(&task, vec![], true);
        typed(&mut viewer, "zzz");
        assert_eq!(viewer.key(key(KeyCode::Enter)), FormOutcome::Cancel, "read-only");
    }

    #[test]
    fn values_the_server_would_refuse_stay_in_the_form_beside_their_field() {
        let mut form = CardForm::new_card(1, vec![]);
        typed(&mut form, "   ");
        assert_eq!(form.key(key(KeyCode::Enter)), FormOutcome::Editing);
        assert_eq!(form.error.as_ref().map(|(f, _)| *f), Some(Some(Field::Title)));
        typed(&mut form, "Plan");
        for _ in 0..5 {
            form.key(key(KeyCode::Tab));
        }
        typed(&mut form, "2026-13-45");
        assert_eq!(form.key(key(KeyCode::Char('s')).with_ctrl()), FormOutcome::Editing);
        let (field, message) = form.error.clone().unwrap();
        assert_eq!(field, Some(Field::Due));
        assert!(message.contains("2026-13-45"), "{message}");
        assert_eq!(form.field, Field::Due, "the focus goes to the field at fault");
        assert_eq!(joined(&form.title), "   Plan", "nothing typed is lost");
    }

    #[test]
    fn leaving_a_form_with_changes_asks_first() {
        let mut form = CardForm::new_card(1, vec![]);
        assert_eq!(form.key(key(KeyCode::Esc)), FormOutcome::Cancel, "nothing typed: no question");
        let mut form = CardForm::new_card(1, vec![]);
        typed(&mut form, "Something");
        assert_eq!(form.key(key(KeyCode::Esc)), FormOutcome::Editing);
        assert_eq!(form.asking, Some(Ask::Discard));
        assert_eq!(form.key(key(KeyCode::Char('n'))), FormOutcome::Editing, "any other key: back to it");
        assert_eq!(form.asking, None);
        assert_eq!(joined(&form.title), "Something");
        form.key(key(KeyCode::Esc));
        assert_eq!(form.key(key(KeyCode::Char('y'))), FormOutcome::Cancel);
    }

    #[test]
    fn the_delete_column_question_counts_its_cards() {
        let ask = |cards| Confirm::DeleteColumn { status_id: 1, name: "Todo".into(), cards }.question();
        assert_eq!(ask(0), "Delete column \"Todo\"? It goes to the trash (y/n)");
        assert_eq!(ask(1), "Delete column \"Todo\" and its card? They go to the trash (y/n)");
        assert_eq!(ask(3), "Delete column \"Todo\" and its 3 cards? They go to the trash (y/n)");
    }
}
