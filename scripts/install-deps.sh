#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install, by Debian package name, everything the build and the tests use.
# Idempotent and cheap when nothing is missing (one dpkg query), so every
# entry point (make, make check, make run) calls it.
set -euo pipefail

PKGS=(
	# toolchain and kernel build
	build-essential bc kmod flex bison libelf-dev pkg-config perl
	# the two test kernels: headers to build against, images to boot
	linux-headers-amd64 linux-headers-6.12-amd64
	linux-image-amd64 linux-image-6.12-amd64
	# kselftest harness, checkpatch and kernel-doc come from its tarball
	linux-source-6.12
	# the test VM
	qemu-system-x86 busybox-static cpio xz-utils zstd
	# userspace
	libdrm-dev libv4l-dev v4l-utils
	# checks
	sparse clang-format valgrind
	# libFuzzer for the validator and engine (scripts/fuzz.sh)
	clang-14 libclang-rt-14-dev
	# the arm64 engine build, run under user-mode emulation
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
	# ONNX's operator test vectors (tests/host/engine_onnx_test.c)
	libonnx-testdata
	# the compiler: ONNX import through protobuf-c, bindings generated
	# from the onnx.proto python3-onnx ships; calibration images
	protobuf-c-compiler libprotobuf-c-dev python3-onnx libpng-dev
	libjpeg-dev
	# the data set the project's models are trained and evaluated on
	dataset-fashion-mnist
	# the manual page (rst2man)
	python3-docutils
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# No recommends: a kernel image would pull in firmware and bootloader bits
# that a QEMU guest booted from our own initramfs never uses.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
