# cx — build, test, lint, bench.
#
# native/*.c        plain C runtime (no lua.h), each with tests/native/test_<name>.c
# native/lua_*.c    the Lua binding layer, assembled by native/core.c into `cx.core`
# native/main.c     the `cx` host executable that embeds Lua 5.4

CC       ?= cc
PREFIX   ?= /usr/local
OPT      ?= -O2
# libcurl is not linked: native/libcurl.c loads it with the first HTTP job (only its headers are used).
PKGS     := lua5.4 jansson libmd
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g $(OPT) -fPIC -pthread \
            $(shell pkg-config --cflags $(PKGS) libcurl)
LDLIBS   += $(shell pkg-config --libs $(PKGS)) -lm -pthread
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

BUILD    ?= build
BINDIR   ?= bin
LIB_SRCS  := $(filter-out native/main.c native/core.c native/lua_%.c native/fuzz_%.c,$(wildcard native/*.c))
BIND_SRCS := native/core.c $(wildcard native/lua_*.c)
LIB_OBJS  := $(LIB_SRCS:native/%.c=$(BUILD)/obj/%.o)
BIND_OBJS := $(BIND_SRCS:native/%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(wildcard tests/native/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/native/%.c=$(BUILD)/tests/%)
TEST_HELPERS := $(filter-out $(TEST_SRCS),$(wildcard tests/native/*.c))
# Test fixture programs (tests/fixtures/X.c -> $(BUILD)/tests/X), sharing tests/fixtures/lib/*.c.
FIXTURE_SRCS := $(wildcard tests/fixtures/*.c)
FIXTURE_LIB  := $(wildcard tests/fixtures/lib/*.c)
FIXTURE_BINS := $(FIXTURE_SRCS:tests/fixtures/%.c=$(BUILD)/tests/%)

LUA54    := lua5.4
BUSTED   := $(LUA54) /usr/bin/busted

.PHONY: all deps test test-native test-lua fixtures lint asan valgrind bench demo report-png install clean fuzz

all: $(BINDIR)/cx $(BUILD)/lib/cx/core.so

$(BUILD)/obj/%.o: native/%.c $(wildcard native/*.h) | $(BUILD)/obj
	$(CC) $(CFLAGS) -DCX_VERSION='"$(shell cat VERSION)"' \
	    -DCX_INSTALL_SCRIPTS='"$(PREFIX)/share/cx/scripts"' -c $< -o $@

$(BINDIR)/cx: $(BUILD)/obj/main.o $(BIND_OBJS) $(LIB_OBJS) | $(BINDIR)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -Wl,-E

# The same native code as a Lua C module, for `require "cx"` from any Lua 5.4 (and the busted specs).
$(BUILD)/lib/cx/core.so: $(BIND_OBJS) $(LIB_OBJS) | $(BUILD)/lib/cx
	$(CC) $(CFLAGS) -shared -o $@ $^ $(shell pkg-config --libs jansson libmd) -lm -pthread

$(BUILD)/tests/test_lua_%: tests/native/test_lua_%.c $(BIND_OBJS) $(LIB_OBJS) $(TEST_HELPERS) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/native -Inative -o $@ $^ $(LDLIBS)

$(BUILD)/tests/test_%: tests/native/test_%.c $(LIB_OBJS) $(TEST_HELPERS) | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/native -Inative -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/fixtures/%.c $(FIXTURE_LIB) $(wildcard tests/fixtures/lib/*.h) | $(BUILD)/tests
	$(CC) $(CFLAGS) -pthread -Itests/fixtures/lib -o $@ $< $(FIXTURE_LIB) \
	    $(shell pkg-config --libs jansson) -pthread

$(BUILD)/obj $(BUILD)/lib/cx $(BUILD)/tests $(BINDIR):
	mkdir -p $@

deps:
	@sh tools/deps.sh

test: deps all test-native fixtures test-lua

fixtures: $(FIXTURE_BINS)

test-native: $(TEST_BINS)
	@sh tools/run-native-tests.sh $(TEST_BINS)

test-lua: all fixtures
	$(BUSTED) --output=utfTerminal

lint: deps
	$(MAKE) --no-print-directory clean-objs
	$(MAKE) --no-print-directory all $(TEST_BINS) $(FIXTURE_BINS)
	luacheck --no-color -q $(wildcard scripts policies tests/spec bench tools)
	clang-format --dry-run --Werror native/*.c native/*.h tests/native/*.c tests/native/*.h \
	    tests/fixtures/*.c tests/fixtures/lib/*.c tests/fixtures/lib/*.h

# The whole suite under AddressSanitizer + UBSan, in its own build tree.
asan: deps
	$(MAKE) --no-print-directory BUILD=build/asan BINDIR=build/asan/bin CC=clang OPT="-O1 $(SANFLAGS)" \
	    LDLIBS="$(SANFLAGS) $(shell pkg-config --libs $(PKGS)) -lm -pthread" test-native
	$(MAKE) --no-print-directory BUILD=build/asan BINDIR=build/asan/bin CC=clang OPT="-O1 $(SANFLAGS)" \
	    LDLIBS="$(SANFLAGS) $(shell pkg-config --libs $(PKGS)) -lm -pthread" build/asan/bin/cx
	$(MAKE) --no-print-directory all fixtures
	CX_TEST_BIN=$(CURDIR)/build/asan/bin/cx ASAN_OPTIONS=detect_leaks=0 $(BUSTED) --output=utfTerminal

valgrind: all $(TEST_BINS)
	@sh tools/run-native-tests.sh --valgrind $(TEST_BINS)

bench: all
	@sh bench/run.sh

fuzz:
	@sh tools/fuzz.sh

demo: deps all
	@sh tools/demo.sh

# docs/report.png (the README's picture of cx report) from the demo's page, by headless chromium.
report-png: all
	@sh tools/deps.sh --browser
	@sh tools/report-png.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/cx
	install -m 755 $(BINDIR)/cx $(DESTDIR)$(PREFIX)/bin/cx
	cp -R scripts policies $(DESTDIR)$(PREFIX)/share/cx/

clean-objs:
	rm -rf $(BUILD)/obj $(BINDIR) $(FIXTURE_BINS)

clean:
	rm -rf build bin
