--- The four schemas cx ships (the reference's `.codex/schemas/*.schema.json`), so structured
--- commands work in a repository that has no `.codex/schemas/`. A repository file of the same name
--- overrides the builtin (see cx.schema.registry). Texts are kept as the reference's files are
--- written; what prompts embed and schema_sha256 hashes is the re-pretty-printed sorted form.
local builtin = {}

builtin.texts = {
  next = [[
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "cx://schemas/next.v1",
  "title": "cx next",
  "type": "object",
  "additionalProperties": false,
  "required": ["commands"],
  "properties": {
    "commands": {
      "type": "array",
      "minItems": 1,
      "items": { "type": "string", "minLength": 1 }
    }
  }
}
]],
  diffsum = [[
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "cx://schemas/diffsum.v1",
  "title": "cx diffsum",
  "type": "object",
  "additionalProperties": false,
  "required": ["title", "summary", "risk_edge_cases", "suggested_tests"],
  "properties": {
    "title": { "type": "string", "minLength": 1 },
    "summary": {
      "type": "array",
      "items": { "type": "string", "minLength": 1 }
    },
    "risk_edge_cases": {
      "type": "array",
      "items": { "type": "string", "minLength": 1 }
    },
    "suggested_tests": {
      "type": "array",
      "items": { "type": "string", "minLength": 1 }
    }
  }
}
]],
  commitjson = [[
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "cx://schemas/commitjson.v1",
  "title": "cx commitjson",
  "type": "object",
  "additionalProperties": false,
  "required": ["subject", "body", "breaking", "scope", "tests"],
  "properties": {
    "subject": { "type": "string", "minLength": 1, "maxLength": 72 },
    "body": {
      "type": "array",
      "items": { "type": "string", "minLength": 1 }
    },
    "breaking": { "type": "boolean" },
    "scope": { "type": ["string", "null"] },
    "tests": {
      "type": "array",
      "items": { "type": "string", "minLength": 1 }
    }
  }
}
]],
  fixrun = [[
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "cx://schemas/fixrun.v1",
  "title": "cx fix-run",
  "type": "object",
  "additionalProperties": false,
  "required": ["analysis", "commands"],
  "properties": {
    "analysis": { "type": "string", "minLength": 1 },
    "commands": {
      "type": "array",
      "items": { "type": "string", "minLength": 1 }
    }
  }
}
]],
}

--- The builtin names, sorted.
function builtin.names()
  local out = {}
  for name in pairs(builtin.texts) do out[#out + 1] = name end
  table.sort(out)
  return out
end

return builtin
