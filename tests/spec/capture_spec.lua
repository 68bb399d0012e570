local clip = require "cx.capture.clip"
local reduce = require "cx.capture.reduce"
local prompt_filter = require "cx.prompt_filter"

describe("context clipping", function()
  it("counts lines the reference's way", function()
    assert.equal(0, clip.count_lines(""))
    assert.equal(2, clip.count_lines("a\nb\n"))
    assert.equal(2, clip.count_lines("a\nb"))
  end)

  it("keeps the head, or the tail when the text mentions errors", function()
    local text = "l1\nl2\nl3\nl4\n"
    local kept, s = clip.clip(text, { chars = 100, lines = 2, mode = "smart", footer = false })
    assert.equal("l1\nl2", kept)
    assert.is_true(s.clipped)
    assert.equal("head", s.mode)
    kept = clip.clip("ok\nerror: boom\nlast\n", { chars = 100, lines = 2, mode = "smart", footer = false })
    assert.equal("error: boom\nlast", kept)
  end)

  it("adds the footer when clipped", function()
    local kept, s = clip.clip(string.rep("x", 20), { chars = 12, lines = 2, mode = "head", footer = true })
    assert.equal(string.rep("x", 12) .. "\n[cx] output clipped: original=20/1, kept=12/1, mode=head", kept)
    assert.equal(12, s.chars_kept)
  end)

  it("does not clip within budget", function()
    local kept, s = clip.clip("a\nb\n", { chars = 100, lines = 10, mode = "smart", footer = true })
    assert.equal("a\nb\n", kept)
    assert.is_false(s.clipped)
  end)

  it("counts characters, not bytes", function()
    local kept = clip.clip("ééééé", { chars = 3, lines = 10, mode = "head", footer = false })
    assert.equal("ééé", kept)
  end)
end)

describe("native reduction", function()
  it("keeps the status lines of git status", function()
    local out = reduce.reduce("On branch main\n\n\nnothing to commit, working tree clean\n", { "git", "status" }, true)
    assert.equal("On branch main\nnothing to commit, working tree clean\n", out)
  end)

  it("keeps diff headers and changes", function()
    local diff = "diff --git a/x b/x\nindex 1..2\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n context\n-old\n+new\n"
    assert.equal("diff --git a/x b/x\nindex 1..2\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n",
      reduce.reduce(diff, { "git", "diff" }, true))
  end)

  it("cuts long lines and collapses blank runs always", function()
    local out = reduce.reduce(string.rep("y", 700) .. "\n\n\n\nz", { "echo" }, false)
    assert.equal(string.rep("y", 600) .. "...\n\nz\n", out)
  end)
end)

describe("prompt filter", function()
  it("trims lines, collapses blank runs and trims the text", function()
    assert.equal("a\n\nb", prompt_filter.filter("  \na  \n\n\n\nb\n\n"))
  end)

  it("caps characters", function()
    assert.equal("abc", prompt_filter.filter("abcdef", 3))
    assert.equal("é", prompt_filter.filter("éé", 1))
  end)
end)
