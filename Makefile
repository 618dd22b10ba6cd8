# memlock — see README.md.  `make`, `make check`, `make install`.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
# Examples, not enabled: the textfile-collector service and timer.
EXAMPLEDIR ?= $(PREFIX)/share/doc/memlock/examples
# memlock-hold.service: where systemd looks for PREFIX's units
# (/usr/local/lib/systemd/system is in its search path; systemd.unit(5)).
UNITDIR ?= $(PREFIX)/lib/systemd/system
PKG_CONFIG ?= pkg-config

# The completions go where each shell looks, PREFIX=/usr/local included.
# bash-completion looks in $(XDG_DATA_DIRS:-/usr/local/share:/usr/share):
# its pkg-config file names the directory below a data directory.
ifeq ($(origin BASHCOMPDIR),undefined)
BASHCOMPDIR := $(or $(shell $(PKG_CONFIG) --define-variable=datadir=$(PREFIX)/share \
	--variable=completionsdir bash-completion 2>/dev/null),$(PREFIX)/share/bash-completion/completions)
endif
# zsh: the first of PREFIX's site-functions and vendor-completions that is
# in its $fpath (Debian's has /usr/local/share/zsh/site-functions).
ifeq ($(origin ZSHCOMPDIR),undefined)
ZSHCOMPDIR := $(or $(shell zsh -fc 'for d in $$@; do (($${fpath[(Ie)$$d]})) && print -r -- $$d && break; done' _ \
	$(PREFIX)/share/zsh/site-functions $(PREFIX)/share/zsh/vendor-completions 2>/dev/null),$(PREFIX)/share/zsh/site-functions)
endif
# fish looks in PREFIX's vendor_completions.d only when XDG_DATA_DIRS names
# PREFIX's share (often unset on servers): else in the one its pkg-config
# file names, its own.
ifeq ($(origin FISHCOMPDIR),undefined)
FISH_PREFIX_DIR := $(PREFIX)/share/fish/vendor_completions.d
FISHCOMPDIR := $(or $(shell fish -c 'contains -- $$argv[1] $$fish_complete_path && echo $$argv[1]' \
	$(FISH_PREFIX_DIR) 2>/dev/null),$(shell $(PKG_CONFIG) --variable=completionsdir fish 2>/dev/null),$(FISH_PREFIX_DIR))
endif

CC ?= cc
WERROR := $(if $(CI),-Werror,)
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -Wall -Wextra $(WERROR) -D_FORTIFY_SOURCE=2
CPPFLAGS += $(shell $(PKG_CONFIG) --cflags smartcols libcap)
LDLIBS += $(shell $(PKG_CONFIG) --libs smartcols libcap) -pthread

LIB_SRCS := src/size.c src/msg.c src/output.c src/pagemath.c src/cli.c src/procfs.c src/caps.c src/rlimit.c src/diag-modes.c src/diag-facts.c src/diag-origin.c src/diag-checks.c src/diag-remedy.c src/diag-probe.c src/procscan.c src/watch.c src/filemap.c src/sources.c src/child.c src/locker.c src/memguard.c src/holder.c src/targets.c src/collect.c src/fswatch.c src/sdnotify.c
CMD_SRCS := src/cmd-pages.c src/cmd-status.c src/cmd-limit.c src/cmd-doctor.c src/cmd-lock.c src/cmd-lock-hold.c \
	src/cmd-files.c
SRCS := src/memlock.c $(CMD_SRCS) $(LIB_SRCS)
OBJS := $(SRCS:.c=.o)
HDRS := $(wildcard src/*.h)
TEST_PROGS := tests/size-test tests/procfs-test tests/diag-test tests/helpers/mlock-probe \
	tests/helpers/lock-helper tests/helpers/lock-truth
# doctor's engine without the commands, for tests/diag-test.c.
DIAG_SRCS := src/size.c src/msg.c src/procfs.c src/caps.c src/rlimit.c src/memguard.c src/child.c \
	src/procscan.c src/sources.c \
	src/diag-modes.c src/diag-facts.c src/diag-origin.c src/diag-checks.c src/diag-remedy.c \
	src/diag-probe.c

.PHONY: all check install uninstall clean deps bench sanitize valgrind fuzz

all: memlock

memlock: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

src/%.o: src/%.c $(HDRS)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

tests/size-test: tests/size-test.c src/size.o src/size.h
	$(CC) $(CPPFLAGS) $(CFLAGS) -Isrc -o $@ tests/size-test.c src/size.o

# Every suite but memcheck.bats, which `make valgrind` runs (valgrind is
# slow, and CI runs both).
CHECK_SUITES = $(filter-out tests/memcheck.bats,$(wildcard tests/*.bats))
check: memlock $(TEST_PROGS)
	tests/run.sh $(CHECK_SUITES)

# The whole suite against an ASan+UBSan build: any report fails the test
# that triggered it (halt_on_error, and UBSan made fatal).
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
memlock-san: $(SRCS) $(HDRS)
	$(CC) $(CPPFLAGS) -std=c11 -Wall -Wextra $(WERROR) $(SAN_FLAGS) -o $@ $(SRCS) $(LDLIBS)

tests/diag-test-san: tests/diag-test.c $(DIAG_SRCS) $(HDRS)
	$(CC) $(CPPFLAGS) -std=c11 -Wall -Wextra $(WERROR) $(SAN_FLAGS) -Isrc -o $@ tests/diag-test.c $(DIAG_SRCS) $(LDLIBS)

sanitize: memlock-san tests/diag-test-san $(TEST_PROGS)
	MEMLOCK=$(CURDIR)/memlock-san MEMLOCK_SANITIZED=1 DIAG_TEST=$(CURDIR)/tests/diag-test-san \
	ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:exitcode=99 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=99 tests/run.sh $(CHECK_SUITES)

# Every command under valgrind's memcheck.
valgrind: memlock $(TEST_PROGS)
	tests/run.sh tests/memcheck.bats tests/procfs.bats

# The libFuzzer harnesses (clang), FUZZ_SECONDS each.
FUZZ_SECONDS ?= 10
fuzz:
	bash tests/fuzz/run.sh $(FUZZ_SECONDS)

deps:
	sh tests/install-deps.sh

install: memlock
	install -D -m 0755 memlock $(DESTDIR)$(BINDIR)/memlock
	install -D -m 0644 man/memlock.1 $(DESTDIR)$(MANDIR)/man1/memlock.1
	install -D -m 0644 completions/memlock.bash $(DESTDIR)$(BASHCOMPDIR)/memlock
	install -D -m 0644 completions/_memlock $(DESTDIR)$(ZSHCOMPDIR)/_memlock
	install -D -m 0644 completions/memlock.fish $(DESTDIR)$(FISHCOMPDIR)/memlock.fish
	install -D -m 0644 systemd/memlock-textfile.service $(DESTDIR)$(EXAMPLEDIR)/memlock-textfile.service
	install -D -m 0644 systemd/memlock-textfile.timer $(DESTDIR)$(EXAMPLEDIR)/memlock-textfile.timer
	install -D -m 0644 systemd/memlock.d/login.conf $(DESTDIR)$(EXAMPLEDIR)/memlock.d/login.conf
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/bin/memlock|$(BINDIR)/memlock|' systemd/memlock-hold.service \
		>$(DESTDIR)$(UNITDIR)/memlock-hold.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/memlock-hold.service

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/memlock $(DESTDIR)$(MANDIR)/man1/memlock.1 \
	      $(DESTDIR)$(BASHCOMPDIR)/memlock $(DESTDIR)$(ZSHCOMPDIR)/_memlock \
	      $(DESTDIR)$(FISHCOMPDIR)/memlock.fish \
	      $(DESTDIR)$(EXAMPLEDIR)/memlock-textfile.service \
	      $(DESTDIR)$(EXAMPLEDIR)/memlock-textfile.timer \
	      $(DESTDIR)$(EXAMPLEDIR)/memlock.d/login.conf \
	      $(DESTDIR)$(UNITDIR)/memlock-hold.service

clean:
	rm -f memlock memlock-san tests/diag-test-san $(OBJS) $(TEST_PROGS)

tests/procfs-test: tests/procfs-test.c src/procfs.o src/size.o src/procfs.h
	$(CC) $(CPPFLAGS) $(CFLAGS) -Isrc -o $@ tests/procfs-test.c src/procfs.o src/size.o

tests/diag-test: tests/diag-test.c $(DIAG_SRCS:.c=.o) $(HDRS)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Isrc -o $@ tests/diag-test.c $(DIAG_SRCS:.c=.o) $(LDLIBS)

tests/helpers/%: tests/helpers/%.c
	$(CC) $(CFLAGS) -o $@ $< -lcap

bench: memlock
	bash tests/bench/status.sh
	bash tests/bench/lock.sh
