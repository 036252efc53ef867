# Debian packaging: included by the top-level Makefile.
#
#   make deb            build $(BUILD)/deb/whodunit_$(VERSION)_amd64.deb (and
#                       run lintian on it); everything is generated under
#                       $(BUILD)/deb, nothing in the source tree
#   make test-package   install that package on a debootstrap'ed Debian 12
#                       booted under qemu with systemd and rsyslog, and test
#                       the unit and the SIEM forwarding (tests/package/run.sh)

DEB_DIR := $(BUILD)/deb
DEB_SRC := $(DEB_DIR)/whodunit-$(VERSION)
DEB_FILE := $(DEB_DIR)/whodunit_$(VERSION)_amd64.deb
DEB_INPUTS := $(wildcard deb/debian/* deb/debian/source/*) deb/whodunit.8.in \
	deb/whodunit-forward.conf.example deb/deb.mk conf/whodunit.yaml VERSION
DEB_NEEDS := debhelper dpkg-dev fakeroot lintian

.PHONY: deb deb-deps test-package

deb: $(DEB_FILE)

deb-deps:
	$(Q)missing=; for p in $(DEB_NEEDS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || \
			missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "  APT      $$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $$missing; }; fi

# The staging tree is rebuilt from scratch each time: debian/ from deb/debian,
# the changelog from VERSION, the static binary from `make all`.
$(DEB_FILE): $(BUILD)/whodunit $(DEB_INPUTS) | deb-deps
	$(call msg,DEB,$@)
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_SRC)
	$(Q)cp -r deb/debian $(DEB_SRC)/debian
	$(Q)cp $(BUILD)/whodunit $(DEB_SRC)/whodunit
	$(Q)cp conf/whodunit.yaml $(DEB_SRC)/whodunit.yaml
	$(Q)cp deb/whodunit-forward.conf.example $(DEB_SRC)/
	$(Q)sed 's/@VERSION@/$(VERSION)/g' deb/whodunit.8.in > $(DEB_SRC)/whodunit.8
	$(Q)printf '%s\n' \
		'whodunit ($(VERSION)) unstable; urgency=medium' '' \
		'  * Release $(VERSION) (debian/changelog is generated from VERSION by deb/deb.mk).' '' \
		' -- whodunit maintainers <whodunit@example.org>  $(shell date -R -d @$$(git log -1 --format=%ct 2>/dev/null || date +%s))' \
		> $(DEB_SRC)/debian/changelog
	$(Q)cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc > ../build.log 2>&1 || \
		{ tail -n 30 ../build.log; echo "dpkg-buildpackage failed: $(DEB_DIR)/build.log"; exit 1; }
	$(Q)v=$$(dpkg-deb -f $@ Version); b=$$($(BUILD)/whodunit --version); \
		[ "$$b" = "whodunit $$v" ] || { echo "VERSION MISMATCH: package $$v, binary '$$b'"; rm -f $@; exit 1; }
	$(call msg,LINTIAN,$@)
	$(Q)lintian --fail-on error,warning --display-info $(DEB_DIR)/whodunit_$(VERSION)_amd64.changes || \
		{ rm -f $@; echo "lintian failed"; exit 1; }
	$(Q)echo "  built    $@ (version $(VERSION) = $$($(BUILD)/whodunit --version))"

test-package: $(DEB_FILE) $(BUILD)/tests/gt_client
	$(Q)tests/package/run.sh $(DEB_FILE) $(BUILD)/package-cache $(BUILD)/tests/gt_client
