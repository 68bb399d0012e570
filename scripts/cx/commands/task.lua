--- `cx task <subcommand>`: the task graph. This table is the one list of subcommands: it drives
--- dispatch, `cx help task`, the usage line and the did-you-mean suggestion. Each subcommand is a
--- module `cx.commands.task.<module>` with run(argv, sub) -> exit code.
local suggest = require "cx.suggest"

local M = { summary = "the task graph: add, list, show, plan and run tasks (cx help task)" }

local function sub(name, module, usage, about)
  return { name = name, module = "cx.commands.task." .. module, usage = usage, about = about }
end

M.SUBCOMMANDS = {
  sub("add", "add", 'cx task add "<objective>" [--role <architect|implementer|reviewer|tester|doc>] '
    .. "[--backend <auto|codex|ollama>] [--model <name>] [--profile <fast|balanced|quality|schema_strict>] "
    .. "[--converge <none|first_valid|majority|judge|score>] [--replicas <n>] [--max-concurrency <n>] "
    .. "[--mode <sequential|parallel>] [--depends-on <id1,id2>] [--resource <key>]",
    "Create a task with role, routing, and orchestration metadata"),
  sub("list", "list", "cx task list [--status pending|in_progress|complete|failed] [--json]",
    "List tasks with optional status filter"),
  sub("claim", "claim", "cx task claim <id>", "Mark task as in_progress"),
  sub("complete", "complete", "cx task complete <id>", "Mark task as complete"),
  sub("fail", "fail", "cx task fail <id>", "Mark task as failed"),
  sub("show", "show", "cx task show <id> [--json|--text]", "Show one task record"),
  sub("fanout", "fanout", 'cx task fanout "<objective>" [--from staged-diff|worktree|log|file:PATH]',
    "Generate role-tagged subtasks"),
  sub("run-plan", "run_plan", "cx task run-plan [--status pending|in_progress|complete|failed] [--json]",
    "Preview deterministic execution waves before run-all"),
  sub("run", "run", "cx task run <id> [--mode lean|deterministic|verbose] [--backend codex|ollama]",
    "Run one task objective"),
  sub("run-all", "run_all", "cx task run-all [--status pending] [--mode sequential|mixed] "
    .. "[--backend-pool codex,ollama] [--backend-cap backend=limit] [--max-workers N] "
    .. "[--fairness round_robin|least_loaded] [--halt-on-critical|--continue-on-critical]",
    "Run tasks by status (sequential default; mixed uses run-plan waves and broker-aware backend routing)"),
  sub("recover", "recover", "cx task recover [--all] [--json]",
    "Put tasks a dead run left in_progress back to pending, with a note"),
}

local function names()
  local out = {}
  for i, s in ipairs(M.SUBCOMMANDS) do out[i] = s.name end
  return out
end

-- The reference's order of the usage line (help rows follow §2.9's order instead).
local USAGE_ORDER = { "add", "list", "show", "claim", "complete", "fail", "fanout", "run-plan", "run", "run-all",
  "recover" }

--- The usage line of an unknown subcommand (the reference's, with recover).
function M.usage_line()
  return "Usage: cx task <" .. table.concat(USAGE_ORDER, "|") .. "> ..."
end

--- `cx help task`: the reference's layout (usage padded to the longest + 2, then the description).
function M.help()
  local width = 0
  for _, s in ipairs(M.SUBCOMMANDS) do width = math.max(width, #s.usage) end
  local lines = { "cx help task", "", "Task commands:" }
  for _, s in ipairs(M.SUBCOMMANDS) do
    lines[#lines + 1] = "  " .. s.usage .. string.rep(" ", width + 2 - #s.usage) .. s.about
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "No subcommand lists the tasks. `cx task <subcommand> --help` explains one. Tasks live in"
  lines[#lines + 1] = ".codex/tasks.json of the enclosing git repository (docs/tasks.md)."
  lines[#lines + 1] = "Exit codes: 0 ok, 1 failure (task failed, blocked plan, store error), 2 usage error."
  return table.concat(lines, "\n") .. "\n"
end

function M.find(name)
  for _, s in ipairs(M.SUBCOMMANDS) do
    if s.name == name then return s end
  end
  return nil
end

function M.run(argv)
  local first = argv[1]
  if first == "--help" or first == "-h" or first == "help" then
    io.stdout:write(M.help())
    return 0
  end
  local rest = {}
  local s
  if first == nil or first:sub(1, 1) == "-" then
    s = M.find("list") -- no subcommand (or only flags): list, as the reference does with no args
    for i = 1, #argv do rest[i] = argv[i] end
  else
    s = M.find(first)
    if not s then
      local guess = suggest.closest(first, names())
      io.stderr:write("cx task: unknown subcommand '", first, "'",
        guess and ("; did you mean '" .. guess .. "'?") or "", "\n", M.usage_line(), "\n")
      return 2
    end
    for i = 2, #argv do rest[#rest + 1] = argv[i] end
  end
  return require(s.module).run(rest, s)
end

return M
