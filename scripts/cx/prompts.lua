--- The fixed prompt texts of `cx prompt`, `cx roles` and `cx fanout` (reference commands.md §8,
--- byte for byte: people paste them into agents and compare outputs). Pure data and formatting.
local prompts = {}

prompts.MODES = { "implement", "fix", "test", "doc", "ops" }

prompts.GOALS = {
  implement = "Implement the requested behavior with minimal risk and clear verification.",
  fix = "Diagnose and fix the issue with root-cause focus and regression prevention.",
  test = "Design and execute deterministic tests that validate behavior and edge cases.",
  doc = "Produce concise, accurate documentation aligned with current implementation.",
  ops = "Perform operational changes safely, with rollback and observability guidance.",
}

--- The prompt block for a mode and a request.
function prompts.block(mode, request)
  return table.concat({
    'You are working on the "cx" toolchain.',
    "",
    "Context:",
    "- Repo canonical implementation is the source of truth.",
    "- Keep behavior deterministic and non-interactive.",
    "- Do not contaminate stdout pipelines; diagnostics to stderr.",
    "",
    "Goal:",
    "- " .. prompts.GOALS[mode],
    "- User request: " .. request,
    "",
    "Requirements:",
    "- Preserve backward compatibility where feasible.",
    "- Make minimal cohesive changes.",
    "- Validate structured outputs when JSON is required.",
    "",
    "Constraints:",
    "- No automatic commands on shell startup.",
    "- No global shell option leakage.",
    "- Keep repo-aware logging behavior intact.",
    "",
    "Deliverables:",
    "- Code changes with file paths.",
    "- Short explanation of what changed and why.",
    "- Verification command list.",
    "",
    "Test Checklist:",
    "1. Build/check passes.",
    "2. Target command behavior matches requirements.",
    "3. No pipeline-breaking stdout noise.",
    "4. Repo-aware log/state paths still resolve correctly.",
  }, "\n") .. "\n"
end

prompts.ROLES = {
  { name = "architect", summary = "Define approach, boundaries, and tradeoffs.",
    focus = "design and decomposition.", deliver = "implementation plan, constraints, and acceptance checks." },
  { name = "implementer", summary = "Apply focused code changes with minimal blast radius.",
    focus = "minimal cohesive code change.", deliver = "patch summary and verification commands." },
  { name = "reviewer", summary = "Validate regressions, risks, and missing tests.",
    focus = "bugs, regressions, and safety.", deliver = "findings ordered by severity with file references." },
  { name = "tester", summary = "Design and run deterministic checks.",
    focus = "deterministic validation.", deliver = "test matrix, observed results, and failure triage." },
  { name = "doc", summary = "Produce concise operator-facing documentation.",
    focus = "user/operator clarity.", deliver = "concise docs with examples and expected outputs." },
}

--- The role record by name, or nil.
function prompts.role(name)
  for _, r in ipairs(prompts.ROLES) do
    if r.name == name then return r end
  end
  return nil
end

--- `cx roles` with no role: the list, descriptions from column 13.
function prompts.roles_list()
  local out = { "== cx roles ==" }
  for _, r in ipairs(prompts.ROLES) do out[#out + 1] = string.format("%-11s %s", r.name, r.summary) end
  return table.concat(out, "\n") .. "\n"
end

--- `cx roles <role>`: the role header.
function prompts.role_header(r)
  return string.format("Role: %s\nFocus: %s\nDeliver: %s\n", r.name, r.focus, r.deliver)
end

prompts.FANOUT = {
  { "architect", "Define minimal design and split objective into independent slices." },
  { "implementer", "Implement slice A with deterministic behavior and tests." },
  { "implementer", "Implement slice B with minimal shared-state coupling." },
  { "reviewer", "Audit for regressions, safety issues, and schema/pipeline risks." },
  { "tester", "Create execution checklist and validate outputs against expectations." },
  { "doc", "Update operator docs and examples for new behavior." },
}

--- `cx fanout <objective>`: six role-tagged subtasks.
function prompts.fanout(objective)
  local out = { "== cx fanout ==", "objective: " .. objective, "" }
  for i, s in ipairs(prompts.FANOUT) do
    out[#out + 1] = string.format("### Subtask %d/%d [%s]", i, #prompts.FANOUT, s[1])
    out[#out + 1] = "Goal: " .. s[2]
    out[#out + 1] = "Scope: Keep this task independently executable."
    out[#out + 1] = "Deliverables: patch summary + verification commands."
    out[#out + 1] = "Tests: include deterministic checks for this slice."
    out[#out + 1] = ""
  end
  return table.concat(out, "\n") .. "\n"
end

return prompts
