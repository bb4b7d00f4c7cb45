# SPDX-License-Identifier: GPL-2.0
#
# vision: top-level build. The kernel module itself is described by Kbuild;
# this file builds it for each Debian kernel, builds libvision, the tools
# and the tests, and runs them (host tests and in-VM kselftests).
#
#   make            module for every installed test kernel, lib, tools
#   make check      everything, tests on the host and in QEMU on both kernels
#   make run        boot the test VM, classify images fed through vivid
#   make lint       checkpatch --strict, kernel-doc, clang-format
#   make modules KVER=6.12.117+deb12-amd64    one kernel only
#   make modules KDIR=/path/to/board/kernel   any configured kernel tree

O := build
SHELL := /bin/bash

# The Debian kernels we build for and boot; resolved from the meta packages
# so a kernel ABI bump in Debian needs no edit here.
KVERS ?= $(shell scripts/kvers.sh 2>/dev/null)
KVER ?=
# Kernel the main job boots: the newest.
RUN_KVER ?= $(lastword $(KVERS))

CC ?= cc
PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
DESTDIR ?=

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla -Werror
CFLAGS ?= -O2 -g
# Deferred (=): pkg-config may only exist once the deps target has run.
VIS_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -fPIC -fvisibility=hidden \
	-Ilibvision/include -Ilibvision -Iuapi/drm \
	$(shell $(PKG_CONFIG) --cflags libdrm libv4l2 2>/dev/null)
DRM_LIBS = $(shell $(PKG_CONFIG) --libs libdrm 2>/dev/null)
# Camera capture (libvision/camera.c).
V4L2_LIBS = $(shell $(PKG_CONFIG) --libs libv4l2 2>/dev/null)
# Image decoding for calibration data (libvision/image_*.c, dataset.c);
# --static so that the static selftests link with the same list.
IMAGE_LIBS = $(shell $(PKG_CONFIG) --static --libs libpng zlib 2>/dev/null) -ljpeg
# The kselftest harness's macros trip these two by design.
TEST_CFLAGS = -isystem $(KSELFTEST) -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-prototypes
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

KSRC := $(O)/ksrc
KSELFTEST := $(KSRC)/tools/testing/selftests

ARCH_HOST := $(shell uname -m)

# The engine (driver/engine) is compiled into libvision as well as into
# the module. SIMD files build only for their architecture, with their ISA
# flags; the engine picks among them at run time.
ENGINE_SRCS := $(filter-out driver/engine/vis_simd_%.c,$(wildcard driver/engine/*.c))
ifeq ($(ARCH_HOST),x86_64)
ENGINE_SRCS += $(wildcard driver/engine/vis_simd_x86_*.c)
endif
ifeq ($(ARCH_HOST),aarch64)
ENGINE_SRCS += $(wildcard driver/engine/vis_simd_arm64_*.c)
endif
ENGINE_CFLAGS := -Idriver/engine
# Engine sources follow kernel conventions: ops-table callbacks ignore
# arguments they do not need, which the kernel's warnings allow too.
ENGINE_ONLY_CFLAGS := -Wno-unused-parameter
# Per-file ISA flags, shared with Kbuild through scripts/simd-flags.sh.
simd_flags = $(shell scripts/simd-flags.sh $(notdir $(basename $(1))))

LIB_SRCS := $(wildcard libvision/*.c)
LIB_OBJS := $(LIB_SRCS:libvision/%.c=$(O)/obj/lib/%.o) \
	$(ENGINE_SRCS:driver/engine/%.c=$(O)/obj/engine/%.o)
# ONNX import (offline compiler): C bindings generated at build time from
# the onnx.proto Debian's python3-onnx ships; never committed.
ONNX_PROTO ?= /usr/lib/python3/dist-packages/onnx/onnx.proto
GEN := $(O)/gen
LIB_OBJS += $(O)/obj/gen/onnx.pb-c.o
COMPILER_LIBS = $(shell $(PKG_CONFIG) --libs libprotobuf-c 2>/dev/null) -lm
LIB_SONAME := libvision.so.0
LIB_VERSION := 0.2.0
LIB_SO := $(O)/lib/libvision.so.$(LIB_VERSION)
# Static archives with every internal symbol, for the tests.
LIB_A := $(O)/lib/libvision-internal.a
LIB_A_SAN := $(O)/san/libvision-internal.a

SELFTESTS := $(basename $(notdir $(wildcard tests/selftests/vision_*_test.c)))
SELFTEST_BINS := $(SELFTESTS:%=$(O)/selftests/%)
HOST_TESTS := $(basename $(notdir $(wildcard tests/host/*_test.c)))
HOST_TEST_BINS := $(HOST_TESTS:%=$(O)/host/%) $(HOST_TESTS:%=$(O)/host/%-san)
# Host tests light enough to run a third time under valgrind.
VALGRIND_TESTS := libvision_test engine_runner_test engine_validate_test \
	engine_input_test engine_simd_test dataset_test libvision_camera_test
# Host tests that also run inside the test VM, against the real device.
GUEST_TESTS := libvision_test libvision_runtime_test libvision_camera_test \
	libvision_loopback_test
HOST_TEST_SUPPORT := $(filter-out %_test.c,$(wildcard tests/host/*.c))
HEADERS := $(wildcard libvision/*.h libvision/include/vision/*.h uapi/drm/*.h \
	driver/engine/*.h tests/host/*.h tests/fuzz/*.h)

.PHONY: all deps modules lib tools selftests host-tests check run lint format ort-check \
	test-arm64 fuzz bench \
	install clean FORCE

all: deps modules lib tools

deps:
	@scripts/install-deps.sh

$(KSRC)/.stamp: scripts/kernel-files.sh | deps
	scripts/kernel-files.sh $(KSRC)

# ---- kernel module ------------------------------------------------------

ifneq ($(KDIR),)
modules: deps
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules
else
modules: deps
	@for k in $(or $(KVER),$(KVERS)); do \
		scripts/kbuild.sh $$k $(O)/kmod/$$k || exit 1; \
	done
endif

# ---- libvision ------------------------------------------------------------

$(O)/obj/lib/%.o: libvision/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(VIS_CFLAGS) $(ENGINE_CFLAGS) -c -o $@ $<

$(O)/obj/engine/%.o: driver/engine/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(VIS_CFLAGS) $(ENGINE_CFLAGS) $(ENGINE_ONLY_CFLAGS) $(call simd_flags,$<) -c -o $@ $<

$(O)/san/lib/%.o: libvision/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(VIS_CFLAGS) $(ENGINE_CFLAGS) $(SAN) -c -o $@ $<

$(O)/san/engine/%.o: driver/engine/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(VIS_CFLAGS) $(ENGINE_CFLAGS) $(ENGINE_ONLY_CFLAGS) $(call simd_flags,$<) $(SAN) -c -o $@ $<

# ---- generated ONNX bindings ---------------------------------------------
# Generated code gets the language flags but not the project's warnings.
GEN_CFLAGS = -std=gnu11 $(CFLAGS) -fPIC -fvisibility=hidden -I$(GEN)

$(GEN)/onnx.pb-c.c $(GEN)/onnx.pb-c.h &: $(ONNX_PROTO)
	@mkdir -p $(GEN)
	protoc-c --proto_path=$(dir $<) --c_out=$(GEN) $<

$(O)/obj/gen/onnx.pb-c.o: $(GEN)/onnx.pb-c.c $(GEN)/onnx.pb-c.h
	@mkdir -p $(@D)
	$(CC) $(GEN_CFLAGS) -c -o $@ $<

$(O)/san/gen/onnx.pb-c.o: $(GEN)/onnx.pb-c.c $(GEN)/onnx.pb-c.h
	@mkdir -p $(@D)
	$(CC) $(GEN_CFLAGS) $(SAN) -c -o $@ $<

# Sources that include the generated header.
ONNX_USERS := $(O)/obj/lib/onnx_import.o $(O)/san/lib/onnx_import.o \
	$(O)/host/onnx_import_test $(O)/host/onnx_import_test-san
$(ONNX_USERS): VIS_CFLAGS += -I$(GEN)
$(ONNX_USERS): $(GEN)/onnx.pb-c.h

$(LIB_SO): $(LIB_OBJS) libvision/libvision.map
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=libvision/libvision.map -Wl,--no-undefined \
		-o $@ $(filter %.o,$^) $(DRM_LIBS) $(V4L2_LIBS) $(COMPILER_LIBS) $(IMAGE_LIBS) -lpthread
	ln -sf $(notdir $@) $(O)/lib/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(O)/lib/libvision.so

$(LIB_A): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(LIB_A_SAN): $(LIB_OBJS:$(O)/obj/%=$(O)/san/%)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(O)/lib/libvision.pc: libvision/libvision.pc.in
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(LIB_VERSION)|' $< > $@

lib: deps $(LIB_SO) $(O)/lib/libvision.pc

# ---- tools ----------------------------------------------------------------

# vision-run reads images with the library's decoders, which libvision.so
# keeps hidden: their objects are linked in, all else comes from the .so.
RUN_SRCS := tools/vision-run.c $(wildcard tools/run_*.c tools/v4l2_feed.c)
RUN_LIB_OBJS := $(addprefix $(O)/obj/lib/,image.o image_png.o image_jpeg.o \
	image_tensor.o dataset.o errmsg.o)
$(O)/bin/vision-run: $(RUN_SRCS) $(wildcard tools/*.h) $(RUN_LIB_OBJS) $(LIB_SO)
	@mkdir -p $(@D)
	$(CC) $(VIS_CFLAGS) -Itools -o $@ $(RUN_SRCS) $(RUN_LIB_OBJS) \
		-L$(O)/lib -lvision $(IMAGE_LIBS) -lm -Wl,-rpath,'$$ORIGIN/../lib'

# The manual page, from its rst (python3-docutils).
RST2MAN ?= rst2man
$(O)/man/vision-run.1: Documentation/vision-run.rst
	@mkdir -p $(@D)
	$(RST2MAN) --exit-status=warning $< $@

# The compiler uses library-internal code: linked with the static archive.
COMPILE_SRCS := tools/vision-compile.c tools/progress.c
$(O)/bin/vision-compile: $(COMPILE_SRCS) tools/progress.h $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(VIS_CFLAGS) $(ENGINE_CFLAGS) -Itools -o $@ $(COMPILE_SRCS) \
		$(LIB_A) $(DRM_LIBS) $(COMPILER_LIBS) $(IMAGE_LIBS) -lpthread -lm

tools: deps $(O)/bin/vision-run $(O)/bin/vision-compile $(O)/man/vision-run.1

# ---- tests ----------------------------------------------------------------

# Static: the test VM's initramfs then needs no libraries for them. They
# link the userspace engine and model builder, to make models and to
# compute what the device must return.
$(O)/selftests/%: tests/selftests/%.c tests/selftests/vision_util.c \
		tests/selftests/vision_util.h $(HEADERS) $(LIB_A) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror $(TEST_CFLAGS) -static \
		$(ENGINE_CFLAGS) -Ilibvision -Iuapi/drm -Itests/fuzz \
		$(shell $(PKG_CONFIG) --cflags libdrm) \
		-o $@ $< tests/selftests/vision_util.c $(LIB_A) $(IMAGE_LIBS) -lpthread

selftests: deps $(SELFTEST_BINS)

$(O)/host/%: tests/host/%.c $(HOST_TEST_SUPPORT) $(HEADERS) $(LIB_A) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) $(VIS_CFLAGS) $(ENGINE_CFLAGS) -Itests/host $(TEST_CFLAGS) -o $@ \
		$< $(HOST_TEST_SUPPORT) $(LIB_A) $(DRM_LIBS) $(V4L2_LIBS) $(COMPILER_LIBS) $(IMAGE_LIBS) -lpthread -lm

$(O)/host/%-san: tests/host/%.c $(HOST_TEST_SUPPORT) $(HEADERS) $(LIB_A_SAN) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) $(VIS_CFLAGS) $(ENGINE_CFLAGS) -Itests/host $(SAN) $(TEST_CFLAGS) \
		-o $@ $< $(HOST_TEST_SUPPORT) $(LIB_A_SAN) $(DRM_LIBS) $(V4L2_LIBS) $(COMPILER_LIBS) $(IMAGE_LIBS) -lpthread -lm

# The loopback test drives vivid through tools/v4l2_feed.c.
LOOPBACK_TEST_BINS := $(O)/host/libvision_loopback_test \
	$(O)/host/libvision_loopback_test-san
$(LOOPBACK_TEST_BINS): tools/v4l2_feed.c tools/v4l2_feed.h
$(LOOPBACK_TEST_BINS): HOST_TEST_SUPPORT += tools/v4l2_feed.c
$(LOOPBACK_TEST_BINS): VIS_CFLAGS += -Itools

host-tests: deps $(HOST_TEST_BINS)

# vision-run's test runs the tool on the project's model.
$(O)/host/vision_run_test $(O)/host/vision_run_test-san: $(O)/bin/vision-run \
	$(O)/models/fmnist_cnn.vnm

# vision-compile's test runs the tool on the project's ONNX model.
$(O)/host/vision_compile_test $(O)/host/vision_compile_test-san: \
	$(O)/bin/vision-compile

# The one test command: host tests, then the kselftests in QEMU on every
# kernel; prints "N passed, N failed, N skipped" and fails on any failure.
# libFuzzer on the model validator and the engine (clang, ASan+UBSan),
# for a bounded time.
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) O=$(O) scripts/fuzz.sh

# The engine for arm64, cross-built and run under qemu-aarch64.
test-arm64: deps $(KSRC)/.stamp
	ENGINE_ONLY_CFLAGS="$(ENGINE_ONLY_CFLAGS)" scripts/test-arm64.sh $(O)/arm64

# libvision's float interpreter on the project's models against ONNX
# Runtime (npm onnxruntime-node): the reference outputs are computed here,
# the comparison is tests/host/models_float_test.c.
ORT_DIR := $(O)/ort
ort-check: deps $(O)/host/models_float_test
	scripts/ort-install.sh $(ORT_DIR)
	node tests/ort/float_ref.mjs --ort-dir $(ORT_DIR) \
		--out-dir $(ORT_DIR)/float-ref --count 500 models/*.onnx
	VISION_ORT_DIR=$(ORT_DIR)/float-ref $(O)/host/models_float_test

# The project's CNN compiled for the device, and the test set, for the
# in-VM accuracy check (tests/selftests/vision_models_test.c).
FMNIST := /usr/share/datasets/fashion-mnist
VM_DATA := $(O)/models/fmnist_cnn.vnm $(FMNIST)/t10k-images-idx3-ubyte.gz \
	$(FMNIST)/t10k-labels-idx1-ubyte.gz
$(O)/models/fmnist_cnn.vnm: models/fmnist_cnn.onnx models/fmnist.labels \
		$(O)/bin/vision-compile
	@mkdir -p $(@D)
	$(O)/bin/vision-compile -q $< -o $@ --labels models/fmnist.labels \
		--calib $(FMNIST)/train-images-idx3-ubyte.gz --calib-count 500

check: all selftests host-tests $(O)/models/fmnist_cnn.vnm
	scripts/check.sh --kvers "$(KVERS)" $(HOST_TEST_BINS:%=--host %) \
		$(VM_DATA:%=--vm-data %) \
		--cmd "ort=make -s ort-check" \
		--cmd "test-arm64=make -s test-arm64" \
		--cmd "fuzz=make -s fuzz" \
		$(VALGRIND_TESTS:%=--valgrind $(O)/host/%) \
		$(SELFTEST_BINS:%=--selftest %) \
		$(GUEST_TESTS:%=--guest-test $(O)/host/%)

# The main job: boot the newest test kernel, load the driver and vivid,
# and classify Fashion-MNIST test images fed through vivid's loop.
run: all $(O)/models/fmnist_cnn.vnm
	tests/vm/run-vm.sh --kver $(RUN_KVER) --mode run \
		--ko $(O)/kmod/$(RUN_KVER)/vision_accel.ko --bin $(O)/bin/vision-run \
		$(VM_DATA:%=--data %)

# ---- benchmark ------------------------------------------------------------

$(O)/bench/bench_engine: bench/bench_engine.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(VIS_CFLAGS) $(ENGINE_CFLAGS) -o $@ $< $(LIB_A) $(DRM_LIBS) \
		-lpthread -lm

# Engine speed against ONNX Runtime (npm); numbers, not pass/fail, so
# not part of check.
bench: deps $(O)/bench/bench_engine
	scripts/bench.sh --no-build

# ---- static checks -------------------------------------------------------

KERNEL_C := $(wildcard driver/*.[ch] driver/engine/*.[ch] uapi/drm/*.h)
ALL_C := $(KERNEL_C) $(wildcard libvision/*.[ch] libvision/include/vision/*.h \
	tools/*.c tests/selftests/*.[ch] tests/host/*.[ch] tests/fuzz/*.[ch] \
	bench/*.c)

lint: $(KSRC)/.stamp $(LIB_SO)
	scripts/check-exports.sh $(LIB_SO) libvision/libvision.map
	scripts/lint.sh $(KSRC) "$(KERNEL_C)" "$(wildcard uapi/drm/*.h)" "$(ALL_C)"
	scripts/check-uapi-docs.sh .

format: $(KSRC)/.stamp
	clang-format --style=file:$(KSRC)/.clang-format -i $(ALL_C)

# ---- install --------------------------------------------------------------

install: lib tools
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(PREFIX)/include/vision
	install -m 0755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf $(notdir $(LIB_SO)) $(DESTDIR)$(PREFIX)/lib/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(PREFIX)/lib/libvision.so
	install -m 0644 $(O)/lib/libvision.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 0644 libvision/include/vision/vision.h \
		$(DESTDIR)$(PREFIX)/include/vision/
	install -m 0755 $(O)/bin/vision-run $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 $(O)/man/vision-run.1 $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf $(O)
	rm -f *.o *.ko *.mod *.mod.c .*.cmd Module.symvers modules.order \
		driver/*.o driver/.*.cmd
