--- The envelope a structured command sends: instructions, the schema, the task input. The texts are
--- the reference's, byte for byte (the prompt's sha256 is logged and compared across runs).
local envelope_prompt = {}

local STRICT_HEAD = "You are a structured output generator.\n"
  .. "Return STRICT JSON ONLY. No markdown. No prose. No code fences.\n"
  .. "Output MUST be a single valid JSON object matching the schema.\n"
  .. "Schema-strict mode: deterministic JSON only; reject ambiguity.\n"

local RELAXED_HEAD = "You are a structured output generator.\n"
  .. "Return JSON ONLY. No markdown. No prose. No code fences.\n"
  .. "Output MUST be a single valid JSON object matching the schema.\n"

--- The envelope for a schema text (the sorted pretty form) and a task input; relaxed drops the
--- strict wording (CX_SCHEMA_RELAXED=1).
function envelope_prompt.build(schema_text, task_input, relaxed)
  local head = relaxed and RELAXED_HEAD or STRICT_HEAD
  return head .. "Schema:\n" .. schema_text .. "\n\nTask input:\n" .. task_input .. "\n"
end

--- The second attempt's prompt: the envelope plus the first attempt's failure reason.
function envelope_prompt.retry(envelope, reason)
  return envelope .. "\n\nThe previous response failed validation with reason: " .. reason
    .. "\nReturn STRICT JSON only and satisfy the schema exactly."
end

return envelope_prompt
