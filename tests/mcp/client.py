"""An MCP client nobody here wrote (the reference Python SDK, `mcp`) driving
`kanban-tui mcp` over stdio: lists the tools and the boards' resources, makes a
card, moves it, comments on it, and reads it back; prints what it saw as JSON
for the Rust test to check. Arguments: the kanban-tui binary, then its own."""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def content(result):
    """A tool's answer: its JSON, or its error text."""
    text = result.content[0].text
    if result.is_error:
        return {"error": text}
    return json.loads(text)


async def main():
    binary, args = sys.argv[1], sys.argv[2:]
    server = StdioServerParameters(command=binary, args=args + ["mcp"], env=dict(os.environ))
    seen = {}
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            seen["tools"] = sorted(t.name for t in (await session.list_tools()).tools)
            seen["resources"] = [str(r.uri) for r in (await session.list_resources()).resources]
            call = session.call_tool
            seen["boards"] = content(await call("list_boards", {}))
            made = content(await call("create_card", {"project": "launch", "title": "From an agent", "labels": ["agent"], "due": "2030-01-02"}))
            seen["made"] = made
            if "id" in made:
                ref = f"#{made['id']}"
                seen["moved"] = content(await call("move_card", {"card": ref, "to": "in progress"}))
                seen["comment"] = content(await call("comment_card", {"card": ref, "text": "picked up"}))
                seen["shown"] = content(await call("show_card", {"card": ref}))
                seen["found"] = content(await call("list_cards", {"search": "AGENT"}))
            seen["refused"] = content(await call("move_card", {"card": "#999999", "to": "done"}))
            if seen["resources"]:
                read_back = await session.read_resource(seen["resources"][0])
                seen["resource"] = json.loads(read_back.contents[0].text)
    print(json.dumps(seen))


asyncio.run(main())
