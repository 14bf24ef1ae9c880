//! `kanban-tui mcp`: the board for coding agents, over the Model Context
//! Protocol on stdio (the official Rust SDK, rmcp), as the person it runs as (the
//! same login, socket or embedded server as the board). Its tools are the card
//! commands' ([`crate::cli`]), by names as people use them; the server's role
//! rules hold, so a viewer's agent reads and is refused a change. Each board is a
//! resource too (`kanban://board/ID`: its columns and cards).

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, ListResourcesResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, Resource, ResourceContents, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt, schemars, tool, tool_handler, tool_router};
use serde::Deserialize;

use crate::cli::{self, Failure, Fields, Filter, show};
use crate::net::api::Api;

/// Which cards `list_cards` answers.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct CardQuery {
    /// Of this board only (its name, any case, or id).
    project: Option<String>,
    /// In this column only.
    column: Option<String>,
    /// Assigned to the person the server runs as.
    #[serde(default)]
    mine: bool,
    /// Assigned to this member (by name).
    assignee: Option<String>,
    /// With this label.
    label: Option<String>,
    /// Past their due date and not done.
    #[serde(default)]
    overdue: bool,
    /// Words the title or description holds (any case).
    search: Option<String>,
}

/// A card: `#ID` or the id.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CardRef {
    card: String,
}

/// A card's fields, each optional.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct CardFields {
    /// Markdown.
    description: Option<String>,
    /// A member's name, or "none".
    assignee: Option<String>,
    /// none, low, medium, high or urgent.
    priority: Option<String>,
    /// The card's labels (replacing them on an edit).
    #[serde(default)]
    labels: Vec<String>,
    /// YYYY-MM-DD or in words: today, tomorrow, fri, +3d, next week, eow, eom; "none".
    due: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct NewCard {
    /// Its board: a name (any case) or id.
    project: String,
    title: String,
    /// Its column [the board's first].
    column: Option<String>,
    #[serde(flatten)]
    fields: CardFields,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CardEdit {
    card: String,
    title: Option<String>,
    #[serde(flatten)]
    fields: CardFields,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CardMove {
    card: String,
    /// The column, by name.
    to: String,
    /// To the top of the column (the end otherwise).
    #[serde(default)]
    top: bool,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CardComment {
    card: String,
    /// Markdown; `@name` mentions a member.
    text: String,
}

/// The MCP server: the person's board through their API.
#[derive(Clone)]
pub struct Board {
    api: Api,
    tool_router: ToolRouter<Self>,
}

/// A tool's answer: JSON, or why not, as a tool error the agent reads.
fn answer(done: Result<serde_json::Value, Failure>) -> Result<CallToolResult, ErrorData> {
    match done {
        Ok(value) => Ok(CallToolResult::success(vec![ContentBlock::json(value)?])),
        Err(e) => Ok(CallToolResult::error(vec![ContentBlock::text(e.to_string())])),
    }
}

impl CardFields {
    fn into_fields(self) -> Result<Fields, Failure> {
        let priority = self
            .priority
            .map(|p| {
                p.to_lowercase()
                    .parse()
                    .map_err(|e: kanban_protocol::model::UnknownName| Failure::Said(e.to_string()))
            })
            .transpose()?;
        // "-" would read the CLI's stdin, which is the protocol's here.
        if self.description.as_deref() == Some("-") {
            return Err(Failure::Said("a description of \"-\" alone is not taken: write it out".into()));
        }
        Ok(Fields {
            description: self.description,
            assignee: self.assignee,
            priority,
            labels: self.labels,
            due: self.due,
        })
    }
}

#[tool_router]
impl Board {
    pub fn new(api: Api) -> Self {
        Board { api, tool_router: Self::tool_router() }
    }

    #[tool(description = "The boards you are a member of, with your role on each.")]
    async fn list_boards(&self) -> Result<CallToolResult, ErrorData> {
        let projects = self.api.projects().await.map_err(Failure::from);
        answer(projects.map(|p| serde_json::to_value(p).expect("boards serialize")))
    }

    #[tool(description = "Cards of your boards, filtered: by board, column, assignee (or mine), label, \
                          overdue, or words of the title or description.")]
    async fn list_cards(&self, Parameters(q): Parameters<CardQuery>) -> Result<CallToolResult, ErrorData> {
        let filter = Filter {
            project: q.project,
            column: q.column,
            mine: q.mine,
            assignee: q.assignee,
            label: q.label,
            overdue: q.overdue,
            search: q.search,
        };
        let found = cli::find(&self.api, &filter).await;
        answer(found.map(|cards| cards.iter().map(|(b, t)| show::card_value(b, t, None)).collect()))
    }

    #[tool(description = "One card with its description, checklist and comments.")]
    async fn show_card(&self, Parameters(r): Parameters<CardRef>) -> Result<CallToolResult, ErrorData> {
        let found = cli::look(&self.api, &r.card).await;
        answer(found.map(|(b, t, c)| show::card_value(&b, &t, Some(&c))))
    }

    #[tool(description = "Makes a card on a board (by the board's name).")]
    async fn create_card(&self, Parameters(new): Parameters<NewCard>) -> Result<CallToolResult, ErrorData> {
        let made = match new.fields.into_fields() {
            Ok(fields) => {
                cli::add(&self.api, &new.project, new.column.as_deref(), fields, new.title, None).await
            }
            Err(e) => Err(e),
        };
        answer(made.map(|(b, t)| show::card_value(&b, &t, None)))
    }

    #[tool(description = "Changes the fields given of a card.")]
    async fn edit_card(&self, Parameters(edit): Parameters<CardEdit>) -> Result<CallToolResult, ErrorData> {
        let done = match edit.fields.into_fields() {
            Ok(fields) => cli::edit(&self.api, &edit.card, edit.title, fields, None).await,
            Err(e) => Err(e),
        };
        answer(done.map(|(b, t)| show::card_value(&b, &t, None)))
    }

    #[tool(description = "Moves a card to a column of its board (by the column's name).")]
    async fn move_card(&self, Parameters(m): Parameters<CardMove>) -> Result<CallToolResult, ErrorData> {
        let done = cli::move_to(&self.api, &m.card, &m.to, m.top, None).await;
        answer(done.map(|(b, t)| show::card_value(&b, &t, None)))
    }

    #[tool(description = "Comments on a card.")]
    async fn comment_card(
        &self,
        Parameters(c): Parameters<CardComment>,
    ) -> Result<CallToolResult, ErrorData> {
        let done = cli::comment(&self.api, &c.card, &c.text, None).await;
        answer(done.map(|c| serde_json::to_value(c).expect("a comment serializes")))
    }

    #[tool(description = "Your own work: the open cards assigned to you on every board, due first.")]
    async fn my_work(&self) -> Result<CallToolResult, ErrorData> {
        let query = kanban_protocol::inbox::MyWorkQuery::default();
        let mine = self.api.my_tasks(&query).await.map_err(Failure::from);
        answer(mine.map(|t| serde_json::to_value(t).expect("cards serialize")))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Board {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_resources().build())
            .with_server_info(rmcp::model::Implementation::new("kanban", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "A shared kanban board. Boards, columns and people go by name; cards by #ID. Read with \
                 list_boards, list_cards, show_card, my_work; change with create_card, edit_card, \
                 move_card, comment_card (everyone on the board sees it at once).",
            )
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let projects =
            self.api.projects().await.map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        let resources: Vec<Resource> = projects
            .iter()
            .map(|p| {
                let mut resource = Resource::new(format!("kanban://board/{}", p.id), p.name.clone())
                    .with_description(format!("The board {}: its columns and cards", p.name));
                resource.mime_type = Some("application/json".into());
                resource
            })
            .collect();
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let id =
            request.uri.strip_prefix("kanban://board/").and_then(|id| id.parse::<i64>().ok()).ok_or_else(
                || ErrorData::resource_not_found(format!("no such resource: {}", request.uri), None),
            )?;
        let board =
            self.api.board(id).await.map_err(|e| ErrorData::resource_not_found(e.to_string(), None))?;
        let cards: Vec<serde_json::Value> =
            show::in_order(&board).into_iter().map(|t| show::card_value(&board, t, None)).collect();
        let columns: Vec<serde_json::Value> = board
            .statuses
            .iter()
            .map(|s| serde_json::json!({"id": s.id, "name": s.name, "wip_limit": s.wip_limit}))
            .collect();
        let text =
            serde_json::json!({"board": board.project.name, "columns": columns, "cards": cards}).to_string();
        Ok(ReadResourceResult::new(vec![ResourceContents::text(text, request.uri)]).into())
    }
}

/// Serves MCP on stdin and stdout until the client goes.
pub async fn serve(api: Api) -> anyhow::Result<()> {
    let service = Board::new(api).serve(rmcp::transport::stdio()).await?;
    service.waiting().await?;
    Ok(())
}
