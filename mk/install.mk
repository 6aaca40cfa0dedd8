# SPDX-License-Identifier: MIT
# make install / make uninstall, and the pkg-config files.
#   make install PREFIX=/usr/local DESTDIR=/tmp/stage
# installs the public headers (and the contract checker's), the hosted
# library, the freestanding library built for the x86-64 kernel code model,
# the ptboot CLI, its man page and two pkg-config files: `ptboot` (hosted)
# and `ptboot-freestanding` (the flags a kernel build needs).  `make
# uninstall` with the same PREFIX and DESTDIR removes exactly INSTALL_FILES
# and the one directory of ptboot's own, $(includedir)/ptboot.
PREFIX      ?= /usr/local
prefix      := $(PREFIX)
bindir      ?= $(prefix)/bin
libdir      ?= $(prefix)/lib
includedir  ?= $(prefix)/include
mandir      ?= $(prefix)/share/man
pkgconfigdir ?= $(libdir)/pkgconfig
DESTDIR     ?=

PTBOOT_VERSION := $(shell sed -n 's/^\#define PTBOOT_VERSION "\(.*\)"$$/\1/p' include/ptboot/version.h)
FREE_TARGET := x86_64
# What a kernel build needs to call the freestanding library (the library
# itself is built with these and more: FREE_CFLAGS).
FREE_PC_CFLAGS := -ffreestanding -fno-pic -mno-red-zone -mgeneral-regs-only -mcmodel=kernel

PUBLIC_HEADERS := $(sort $(wildcard include/ptboot/*.h)) backends/checked/ptb_checked.h
INSTALL_LIB_SRC := $(LIB_SRC) backends/checked/checked.c

build/install/libptboot.a: $(patsubst %.c,build/host/%.o,$(INSTALL_LIB_SRC))
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^
build/install/libptboot-freestanding-$(FREE_TARGET).a: $(patsubst %.c,build/free/%.o,$(INSTALL_LIB_SRC))
	@mkdir -p $(dir $@); rm -f $@; ar rcs $@ $^
# The .pc files hold the install directories: rebuilt whenever they change.
build/install/dirs: FORCE
	@mkdir -p $(dir $@)
	@echo '$(prefix) $(libdir) $(includedir)' | cmp -s - $@ || echo '$(prefix) $(libdir) $(includedir)' > $@
build/install/%.pc: mk/%.pc.in include/ptboot/version.h mk/install.mk build/install/dirs
	@mkdir -p $(dir $@)
	@sed -e 's|@prefix@|$(prefix)|; s|@libdir@|$(libdir)|; s|@includedir@|$(includedir)|' \
	     -e 's|@version@|$(PTBOOT_VERSION)|; s|@free_cflags@|$(FREE_PC_CFLAGS)|; s|@free_target@|$(FREE_TARGET)|' \
	     $< > $@.tmp && mv $@.tmp $@

# install-file(source, directory, mode)
INSTALL_ITEMS := \
	$(foreach h,$(PUBLIC_HEADERS),$(h):$(includedir)/ptboot:644) \
	build/install/libptboot.a:$(libdir):644 \
	build/install/libptboot-freestanding-$(FREE_TARGET).a:$(libdir):644 \
	build/host/ptboot:$(bindir):755 \
	docs/ptboot.1:$(mandir)/man1:644 \
	build/install/ptboot.pc:$(pkgconfigdir):644 \
	build/install/ptboot-freestanding.pc:$(pkgconfigdir):644
item_src = $(word 1,$(subst :, ,$(1)))
item_dir = $(word 2,$(subst :, ,$(1)))
item_mode = $(word 3,$(subst :, ,$(1)))
INSTALL_FILES := $(foreach i,$(INSTALL_ITEMS),$(call item_dir,$(i))/$(notdir $(call item_src,$(i))))

.PHONY: install uninstall install-files check-install check-examples FORCE
install: $(foreach i,$(INSTALL_ITEMS),$(call item_src,$(i)))
	@$(foreach i,$(INSTALL_ITEMS),install -D -m $(call item_mode,$(i)) $(call item_src,$(i)) \
		"$(DESTDIR)$(call item_dir,$(i))/$(notdir $(call item_src,$(i)))" &&) true
	@echo "installed ptboot $(PTBOOT_VERSION) in $(DESTDIR)$(prefix) ($(words $(INSTALL_FILES)) files)"

uninstall:
	@rm -f $(foreach f,$(INSTALL_FILES),"$(DESTDIR)$(f)")
	@rmdir "$(DESTDIR)$(includedir)/ptboot" 2>/dev/null || true
	@echo "removed ptboot's $(words $(INSTALL_FILES)) files from $(DESTDIR)$(prefix)"

# The list of files make install writes (for packagers and check-install).
install-files:
	@printf '%s\n' $(INSTALL_FILES)

INSTALL_INPUTS := $(foreach i,$(INSTALL_ITEMS),$(call item_src,$(i)))
# check-examples runs after check-install: both write the .pc files.
check-install: $(INSTALL_INPUTS)
	+@scripts/check-install
check-examples: $(INSTALL_INPUTS) | check-install
	+@scripts/check-examples
