/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __UAPI_VISION_ACCEL_H__
#define __UAPI_VISION_ACCEL_H__

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/**
 * DOC: vision accelerator uapi
 *
 * The vision driver exposes an NPU (or its virtual stand-in) as a DRM
 * compute-accelerator device, ``/dev/accel/accelN``, or as a DRM render
 * node on kernels without ``CONFIG_DRM_ACCEL``. Userspace identifies the
 * device by the driver name ``vision`` returned by ``DRM_IOCTL_VERSION``.
 *
 * Every structure is 64-bit aligned and padded explicitly; reserved and
 * padding members must be zero, and the kernel rejects unknown values with
 * ``-EINVAL``. Ioctl numbers are never reused once retired.
 */

/**
 * DRM_VISION_API_VERSION - version of this interface
 *
 * Reported by %DRM_VISION_PARAM_API_VERSION. The major number (bits 31:16)
 * changes on incompatible changes, the minor number (bits 15:0) when
 * features are added.
 */
#define DRM_VISION_API_VERSION ((1 << 16) | 0)

#define DRM_VISION_GET_PARAM 0x00
#define DRM_VISION_BO_CREATE 0x01
#define DRM_VISION_BO_INFO 0x02
#define DRM_VISION_BO_WAIT 0x03
#define DRM_VISION_MODEL_CREATE 0x04
#define DRM_VISION_MODEL_INFO 0x05
#define DRM_VISION_SUBMIT 0x06

#define DRM_IOCTL_VISION_GET_PARAM                        \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VISION_GET_PARAM, \
		 struct drm_vision_get_param)
#define DRM_IOCTL_VISION_BO_CREATE                        \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VISION_BO_CREATE, \
		 struct drm_vision_bo_create)
#define DRM_IOCTL_VISION_BO_INFO                        \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VISION_BO_INFO, \
		 struct drm_vision_bo_info)
#define DRM_IOCTL_VISION_BO_WAIT                        \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VISION_BO_WAIT, \
		 struct drm_vision_bo_wait)
#define DRM_IOCTL_VISION_MODEL_CREATE                        \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VISION_MODEL_CREATE, \
		 struct drm_vision_model_create)
#define DRM_IOCTL_VISION_MODEL_INFO                        \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VISION_MODEL_INFO, \
		 struct drm_vision_model_info)
#define DRM_IOCTL_VISION_SUBMIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VISION_SUBMIT, struct drm_vision_submit)

/**
 * DOC: parameters
 *
 * Device facts read with %DRM_IOCTL_VISION_GET_PARAM. They do not change
 * while the device exists.
 */

/**
 * DRM_VISION_PARAM_DEVICE_ID - identifier of the accelerator model
 *
 * One of the %DRM_VISION_DEVICE_ID_* values.
 */
#define DRM_VISION_PARAM_DEVICE_ID 0

/**
 * DRM_VISION_PARAM_API_VERSION - interface version implemented
 *
 * The kernel's %DRM_VISION_API_VERSION.
 */
#define DRM_VISION_PARAM_API_VERSION 1

/**
 * DRM_VISION_PARAM_NUM_CORES - number of NPU cores
 *
 * Each core has its own job queue and its own activation memory.
 */
#define DRM_VISION_PARAM_NUM_CORES 2

/**
 * DRM_VISION_PARAM_CORE_SRAM_SIZE - activation memory of one core, bytes
 *
 * A model's arena and scratch memory must fit in it; larger models are
 * refused by %DRM_IOCTL_VISION_MODEL_CREATE with ``-E2BIG``.
 */
#define DRM_VISION_PARAM_CORE_SRAM_SIZE 3

/**
 * DRM_VISION_PARAM_MAX_MODEL_SIZE - largest model blob accepted, bytes
 */
#define DRM_VISION_PARAM_MAX_MODEL_SIZE 4

/**
 * DRM_VISION_PARAM_INPUT_FORMATS - camera formats the input stage reads
 *
 * A bitmask of %DRM_VISION_FORMAT_* bits.
 */
#define DRM_VISION_PARAM_INPUT_FORMATS 5

/**
 * DRM_VISION_PARAM_CAPABILITIES - engine capabilities
 *
 * A bitmask of %DRM_VISION_CAP_* bits.
 */
#define DRM_VISION_PARAM_CAPABILITIES 6

/**
 * DRM_VISION_PARAM_SIMD_LEVEL - vector unit the engine uses
 *
 * One of the %DRM_VISION_SIMD_* values. Results are bit-exact whatever
 * the level; only speed differs.
 */
#define DRM_VISION_PARAM_SIMD_LEVEL 7

/**
 * DRM_VISION_PARAM_MAX_BO_SIZE - largest buffer object created, bytes
 */
#define DRM_VISION_PARAM_MAX_BO_SIZE 8

/**
 * DRM_VISION_PARAM_MAX_JOBS - most jobs in one %DRM_IOCTL_VISION_SUBMIT
 */
#define DRM_VISION_PARAM_MAX_JOBS 9

/**
 * DRM_VISION_PARAM_MODEL_MEMORY - device-wide cap on model bytes
 *
 * The sum of the sizes of all live models may not exceed it;
 * %DRM_IOCTL_VISION_MODEL_CREATE fails with ``-ENOSPC`` beyond.
 */
#define DRM_VISION_PARAM_MODEL_MEMORY 10

/**
 * DRM_VISION_DEVICE_ID_VIRTUAL - the virtual NPU
 *
 * The reference backend that executes jobs on the CPU, in kernel.
 */
#define DRM_VISION_DEVICE_ID_VIRTUAL 0x7601

/**
 * DOC: input formats
 *
 * Bits of %DRM_VISION_PARAM_INPUT_FORMATS, one per V4L2 pixel format the
 * input stage converts from. Names follow ``V4L2_PIX_FMT_*``.
 */
#define DRM_VISION_FORMAT_RGB24 0x00000001ull
#define DRM_VISION_FORMAT_BGR24 0x00000002ull
#define DRM_VISION_FORMAT_RGB32 0x00000004ull
#define DRM_VISION_FORMAT_BGR32 0x00000008ull
#define DRM_VISION_FORMAT_XRGB32 0x00000010ull
#define DRM_VISION_FORMAT_ARGB32 0x00000020ull
#define DRM_VISION_FORMAT_XBGR32 0x00000040ull
#define DRM_VISION_FORMAT_ABGR32 0x00000080ull
#define DRM_VISION_FORMAT_RGBX32 0x00000100ull
#define DRM_VISION_FORMAT_RGBA32 0x00000200ull
#define DRM_VISION_FORMAT_BGRX32 0x00000400ull
#define DRM_VISION_FORMAT_BGRA32 0x00000800ull
#define DRM_VISION_FORMAT_YUYV 0x00001000ull
#define DRM_VISION_FORMAT_YVYU 0x00002000ull
#define DRM_VISION_FORMAT_UYVY 0x00004000ull
#define DRM_VISION_FORMAT_VYUY 0x00008000ull
#define DRM_VISION_FORMAT_NV12 0x00010000ull
#define DRM_VISION_FORMAT_NV21 0x00020000ull
#define DRM_VISION_FORMAT_GREY 0x00040000ull

/**
 * DOC: capabilities
 *
 * Bits of %DRM_VISION_PARAM_CAPABILITIES.
 *
 * * %DRM_VISION_CAP_SPARSE: sparse-encoded (BLOCK4) weights are executed
 *   by skipping pruned blocks.
 * * %DRM_VISION_CAP_CAMERA_INPUT: jobs take camera frames
 *   (%DRM_VISION_JOB_INPUT_FRAME) through the model's input stage.
 * * %DRM_VISION_CAP_PROFILE: jobs fill a profile buffer
 *   (&struct drm_vision_profile) on request.
 * * %DRM_VISION_CAP_PRIORITY: %DRM_VISION_SUBMIT_PRIORITY_HIGH is honoured.
 */
#define DRM_VISION_CAP_SPARSE 0x00000001ull
#define DRM_VISION_CAP_CAMERA_INPUT 0x00000002ull
#define DRM_VISION_CAP_PROFILE 0x00000004ull
#define DRM_VISION_CAP_PRIORITY 0x00000008ull

/**
 * DOC: SIMD levels
 *
 * Values of %DRM_VISION_PARAM_SIMD_LEVEL.
 */
#define DRM_VISION_SIMD_PORTABLE 0
#define DRM_VISION_SIMD_AVX2 1
#define DRM_VISION_SIMD_AVX512BW 2
#define DRM_VISION_SIMD_AVX512VNNI 3
#define DRM_VISION_SIMD_NEON_DOTPROD 4

/**
 * struct drm_vision_get_param - query a device parameter
 *
 * Used with %DRM_IOCTL_VISION_GET_PARAM. An unknown @param, or a non-zero
 * @pad, fails with ``-EINVAL``.
 */
struct drm_vision_get_param {
	/**
	 * @param: (in) the parameter to read, one of %DRM_VISION_PARAM_*.
	 */
	__u32 param;

	/** @pad: (in) reserved, must be zero. */
	__u32 pad;

	/** @value: (out) the parameter's value. */
	__u64 value;
};

/**
 * DOC: buffer objects
 *
 * Buffer objects (BOs) hold tensors, camera frames, results and profiles.
 * They are shmem-backed GEM objects: userspace maps them with mmap() on
 * the device file at the offset %DRM_IOCTL_VISION_BO_CREATE returns, and
 * shares them with ``DRM_IOCTL_PRIME_HANDLE_TO_FD`` and
 * ``DRM_IOCTL_PRIME_FD_TO_HANDLE``. A dma-buf from another driver (a V4L2
 * capture buffer exported with ``VIDIOC_EXPBUF``) imports as a BO without
 * a copy. Handles belong to the file that created or imported them.
 *
 * Jobs synchronise on BOs implicitly: a job waits for the last writer of
 * its input and for every user of its outputs, and %DRM_IOCTL_VISION_BO_WAIT
 * waits for the jobs using a BO.
 */

/**
 * DRM_VISION_BO_WC - map the BO write-combined instead of cached
 *
 * For buffers the CPU only writes (inputs filled once per frame).
 */
#define DRM_VISION_BO_WC 0x00000001u

/**
 * DRM_VISION_BO_IMPORTED - (out) the BO is a dma-buf of another device
 *
 * Reported by %DRM_IOCTL_VISION_BO_INFO; never accepted as a creation flag.
 */
#define DRM_VISION_BO_IMPORTED 0x80000000u

/**
 * struct drm_vision_bo_create - create a buffer object
 *
 * Used with %DRM_IOCTL_VISION_BO_CREATE. The BO is zero-filled. Fails with
 * ``-EINVAL`` for a zero @size, unknown @flags or a non-zero @pad, and
 * ``-E2BIG`` above %DRM_VISION_PARAM_MAX_BO_SIZE.
 */
struct drm_vision_bo_create {
	/**
	 * @size: (in) size in bytes; rounded up to the page size.
	 */
	__u64 size;

	/** @flags: (in) %DRM_VISION_BO_WC or 0. */
	__u32 flags;

	/** @handle: (out) the new BO's handle. */
	__u32 handle;

	/**
	 * @mmap_offset: (out) offset to pass to mmap() on the device file.
	 */
	__u64 mmap_offset;

	/** @pad: (in) reserved, must be zero. */
	__u64 pad;
};

/**
 * struct drm_vision_bo_info - describe a buffer object
 *
 * Used with %DRM_IOCTL_VISION_BO_INFO, for example on a handle obtained
 * with ``DRM_IOCTL_PRIME_FD_TO_HANDLE``. A handle that does not name a BO
 * of this file (or names a model) fails with ``-ENOENT``.
 */
struct drm_vision_bo_info {
	/** @handle: (in) the BO. */
	__u32 handle;

	/**
	 * @flags: (out) the creation flags, plus %DRM_VISION_BO_IMPORTED for a
	 * dma-buf of another device.
	 */
	__u32 flags;

	/** @size: (out) size in bytes. */
	__u64 size;

	/** @mmap_offset: (out) offset to pass to mmap(). */
	__u64 mmap_offset;

	/** @pad: (in) reserved, must be zero. */
	__u64 pad;
};

/**
 * struct drm_vision_bo_wait - wait for the jobs using a buffer object
 *
 * Used with %DRM_IOCTL_VISION_BO_WAIT. Waits until no job reads or writes
 * the BO. Returns 0 once idle, ``-ETIMEDOUT`` if @timeout_ns passes first,
 * ``-ERESTARTSYS``/``-EINTR`` on a signal. A @timeout_ns in the past polls.
 * A handle that names no BO of this file (or names a model) fails with
 * ``-ENOENT``.
 */
struct drm_vision_bo_wait {
	/** @handle: (in) the BO. */
	__u32 handle;

	/** @pad: (in) reserved, must be zero. */
	__u32 pad;

	/**
	 * @timeout_ns: (in) absolute ``CLOCK_MONOTONIC`` time to give up at,
	 * in nanoseconds.
	 */
	__s64 timeout_ns;

	/**
	 * @job_status: (out) result of the last job that wrote the BO: 0 on
	 * success or a negative errno (``-ETIMEDOUT`` for a job that overran
	 * its time, ``-EIO`` for a device fault, ``-ENODEV`` for one that
	 * could not run because the device was unplugged); 0 when no job
	 * wrote it. Jobs dropped before they started (their process was
	 * killed) leave it unchanged.
	 */
	__s32 job_status;

	/** @pad2: (in) reserved, must be zero. */
	__u32 pad2;
};

/**
 * DOC: models
 *
 * A model is a compiled network in the format of ``vision_model.h``.
 * %DRM_IOCTL_VISION_MODEL_CREATE copies the blob into the kernel, checks
 * every byte of it and returns a handle. The model object is immutable and
 * cannot be mapped; it can be shared with ``DRM_IOCTL_PRIME_HANDLE_TO_FD``
 * and its requirements read back with %DRM_IOCTL_VISION_MODEL_INFO.
 */

/**
 * DRM_VISION_MODEL_HAS_INPUT_STAGE - the model accepts camera frames
 *
 * Set in &drm_vision_model_info.flags when the model has an input stage,
 * so that jobs may use %DRM_VISION_JOB_INPUT_FRAME.
 */
#define DRM_VISION_MODEL_HAS_INPUT_STAGE 0x00000001u

/**
 * struct drm_vision_model_info - what a model needs and produces
 *
 * Returned by %DRM_IOCTL_VISION_MODEL_CREATE and %DRM_IOCTL_VISION_MODEL_INFO.
 */
struct drm_vision_model_info {
	/** @handle: (in for MODEL_INFO, out for MODEL_CREATE) the model. */
	__u32 handle;

	/** @flags: (out) %DRM_VISION_MODEL_* bits. */
	__u32 flags;

	/**
	 * @input_shape: (out) input tensor shape, NHWC.
	 */
	__u32 input_shape[4];

	/**
	 * @input_type: (out) element type, a %VISION_MODEL_TYPE_* value.
	 */
	__u32 input_type;

	/** @input_zero_point: (out) quantization zero point of the input. */
	__s32 input_zero_point;

	/**
	 * @input_scale: (out) quantization scale of the input, IEEE-754
	 * single-precision bits.
	 */
	__u32 input_scale;

	/** @num_outputs: (out) number of output tensors. */
	__u32 num_outputs;

	/**
	 * @input_size: (out) bytes of the input tensor: what a job with
	 * %DRM_VISION_JOB_INPUT_TENSOR reads from its input BO.
	 */
	__u64 input_size;

	/**
	 * @output_size: (out) bytes a job writes to its output BO: every
	 * output tensor, in output-table order, back to back.
	 */
	__u64 output_size;

	/**
	 * @profile_size: (out) bytes a job writes to its profile BO: a
	 * &struct drm_vision_profile and one &struct drm_vision_profile_op per
	 * operator.
	 */
	__u64 profile_size;

	/** @num_ops: (out) number of operators. */
	__u32 num_ops;

	/** @pad: (in) reserved, must be zero; (out) zero. */
	__u32 pad;

	/** @arena_size: (out) activation memory the model uses, bytes. */
	__u64 arena_size;

	/** @macs: (out) multiply-accumulates of one inference. */
	__u64 macs;

	/** @model_size: (out) size of the model blob, bytes. */
	__u64 model_size;

	/**
	 * @sram_size: (out) core memory a job of the model occupies: the
	 * arena, 64-byte aligned, then the engine's scratch memory. At most
	 * %DRM_VISION_PARAM_CORE_SRAM_SIZE.
	 */
	__u64 sram_size;

	/** @reserved: (in) reserved, must be zero; (out) zero. */
	__u64 reserved;
};

/**
 * struct drm_vision_model_create - load a model
 *
 * Used with %DRM_IOCTL_VISION_MODEL_CREATE. The kernel copies @size bytes
 * from @data and validates them. Errors: ``-EINVAL`` for a malformed model
 * (the reason is logged with the DRM debug category), ``-EOPNOTSUPP`` for an
 * unsupported version or operator, ``-E2BIG`` for a model larger than
 * %DRM_VISION_PARAM_MAX_MODEL_SIZE or whose activations do not fit a
 * core's memory, ``-ENOSPC`` beyond %DRM_VISION_PARAM_MODEL_MEMORY,
 * ``-EFAULT`` for a bad pointer.
 */
struct drm_vision_model_create {
	/** @data: (in) user pointer to the model blob. */
	__u64 data;

	/** @size: (in) size of the blob, bytes. */
	__u64 size;

	/** @flags: (in) reserved, must be zero. */
	__u32 flags;

	/** @pad: (in) reserved, must be zero. */
	__u32 pad;

	/**
	 * @info: (out) the new model's handle and requirements. Every member
	 * is written; its input values are ignored.
	 */
	struct drm_vision_model_info info;
};

/**
 * DOC: jobs
 *
 * %DRM_IOCTL_VISION_SUBMIT queues jobs. Each job runs a model once: its
 * input comes from a tensor in a BO (%DRM_VISION_JOB_INPUT_TENSOR), or from
 * a camera frame in a BO (%DRM_VISION_JOB_INPUT_FRAME), converted by the
 * model's input stage straight from the frame's memory; its outputs go to
 * an output BO; optionally a profile goes to a profile BO.
 *
 * Each job runs on one of the device's cores, each core one job at a time;
 * the driver spreads jobs over the cores, so jobs with no dependency
 * between them may run in any order and in parallel. A job completes
 * by signalling a fence: the BOs' reservation objects receive it (read for
 * the input, write for the outputs) and so does the job's @out_syncobj.
 * A job waits for the fence in its @in_syncobj, for the last writer of its
 * input and for all users of its output and profile BOs.
 *
 * Dependencies are resolved when the call is made: a job waits for jobs of
 * earlier calls, never for jobs of its own call, which are independent of
 * each other. An @in_syncobj without a fence means nothing to wait for.
 *
 * A job that runs longer than the driver's timeout is cancelled at its next
 * chunk boundary; its fence carries ``-ETIMEDOUT`` and the core is reset,
 * later jobs still run. Closing the file waits until its queued jobs have
 * been handed to the cores, which then run them; when the process exits or
 * is killed, jobs that have not started are dropped and their fences carry
 * an error.
 */

/**
 * DRM_VISION_JOB_INPUT_TENSOR - the input is a tensor in a BO
 *
 * The input tensor's bytes (&drm_vision_model_info.input_size) are read
 * from &drm_vision_job.in_handle at &drm_vision_job.in_offset.
 */
#define DRM_VISION_JOB_INPUT_TENSOR 0

/**
 * DRM_VISION_JOB_INPUT_FRAME - the input is a camera frame in a BO
 *
 * &drm_vision_job.frame describes the frame; the model must have an input
 * stage.
 */
#define DRM_VISION_JOB_INPUT_FRAME 1

/**
 * DRM_VISION_JOB_PROFILE - fill &drm_vision_job.profile_handle
 *
 * The profile BO receives a &struct drm_vision_profile followed by one
 * &struct drm_vision_profile_op per operator. Without this flag
 * &drm_vision_job.profile_handle and &drm_vision_job.profile_offset must be
 * zero. The header is written when the job succeeds; after a failure the
 * profile's contents are unspecified.
 */
#define DRM_VISION_JOB_PROFILE 0x00000001u

/**
 * struct drm_vision_frame - a camera frame as a job's input
 *
 * Plane @i starts at byte @offsets[i] of the job's input BO and has lines of
 * @strides[i] bytes. Packed formats use plane 0 only; NV12 and NV21 use
 * plane 0 for luma and plane 1 for chroma (which may share the BO). The
 * crop rectangle, in pixels, selects the region the input stage resizes to
 * the model's input; all zero means the whole frame, otherwise it must be
 * non-empty and lie inside the frame. Width and height are 1 to 65536. A
 * single-plane format leaves @offsets[1] and @strides[1] zero. Every byte
 * the frame spans must lie within the BO.
 */
struct drm_vision_frame {
	/** @fourcc: V4L2 pixel format code (``V4L2_PIX_FMT_*``). */
	__u32 fourcc;

	/** @width: frame width, pixels. */
	__u32 width;

	/** @height: frame height, pixels. */
	__u32 height;

	/** @num_planes: 1, or 2 for NV12/NV21. */
	__u32 num_planes;

	/** @offsets: byte offset of each plane in the BO. */
	__u64 offsets[2];

	/** @strides: bytes per line of each plane. */
	__u32 strides[2];

	/** @crop_x: left edge of the crop rectangle. */
	__u32 crop_x;

	/** @crop_y: top edge of the crop rectangle. */
	__u32 crop_y;

	/** @crop_width: width of the crop rectangle; 0 with all others 0. */
	__u32 crop_width;

	/** @crop_height: height of the crop rectangle. */
	__u32 crop_height;

	/** @reserved: reserved, must be zero. */
	__u32 reserved[2];
};

/**
 * struct drm_vision_job - one inference
 *
 * An element of the array &drm_vision_submit.jobs points to. Handles are
 * those of the submitting file. Newer interface versions may append
 * members: the kernel zero-extends a struct shorter than its own (but never
 * shorter than this first version) and requires the tail of a longer one
 * to be zero.
 *
 * What the device writes (outputs, profile) may not overlap what it reads:
 * for a frame, everything from its first plane to the end of the BO; for a
 * tensor, its bytes. The profile, when used, must not overlap the outputs.
 */
struct drm_vision_job {
	/** @model_handle: the model to run. */
	__u32 model_handle;

	/**
	 * @input_type: %DRM_VISION_JOB_INPUT_TENSOR or
	 * %DRM_VISION_JOB_INPUT_FRAME.
	 */
	__u32 input_type;

	/** @in_handle: BO holding the input tensor or frame. */
	__u32 in_handle;

	/** @out_handle: BO receiving the outputs. */
	__u32 out_handle;

	/** @in_offset: byte offset of the input tensor (tensor input only). */
	__u64 in_offset;

	/** @out_offset: byte offset of the outputs in @out_handle. */
	__u64 out_offset;

	/** @frame: the camera frame (frame input only, else all zero). */
	struct drm_vision_frame frame;

	/** @flags: %DRM_VISION_JOB_* bits. */
	__u32 flags;

	/**
	 * @profile_handle: BO receiving the profile with
	 * %DRM_VISION_JOB_PROFILE, else 0.
	 */
	__u32 profile_handle;

	/** @profile_offset: byte offset of the profile in @profile_handle. */
	__u64 profile_offset;

	/**
	 * @in_syncobj: syncobj whose fence the job waits for, or 0.
	 */
	__u32 in_syncobj;

	/**
	 * @out_syncobj: syncobj that receives the job's completion fence, or
	 * 0.
	 */
	__u32 out_syncobj;
};

/**
 * DRM_VISION_SUBMIT_PRIORITY_NORMAL - default scheduling priority
 */
#define DRM_VISION_SUBMIT_PRIORITY_NORMAL 0

/**
 * DRM_VISION_SUBMIT_PRIORITY_HIGH - run before normal-priority jobs
 *
 * For real-time camera pipelines. Needs ``CAP_SYS_NICE`` (else ``-EPERM``).
 */
#define DRM_VISION_SUBMIT_PRIORITY_HIGH 1

/**
 * DRM_VISION_MAX_JOB_STRUCT_SIZE - largest &drm_vision_submit.job_struct_size
 */
#define DRM_VISION_MAX_JOB_STRUCT_SIZE 4096

/**
 * struct drm_vision_submit - queue jobs
 *
 * Used with %DRM_IOCTL_VISION_SUBMIT. Every job is checked before any is
 * queued: the call either queues all of them or none. Errors: ``-EINVAL``
 * for bad counts, sizes, flags, offsets, reserved members or a frame the
 * model cannot read, ``-ENOENT`` for a handle that is not a model, BO or
 * syncobj of this file, ``-EOPNOTSUPP`` for an unsupported pixel format or
 * a BO the device cannot map (I/O memory), ``-E2BIG`` for a
 * @job_struct_size tail that is not zero, ``-EFAULT`` for a bad pointer,
 * ``-EPERM`` for %DRM_VISION_SUBMIT_PRIORITY_HIGH without ``CAP_SYS_NICE``,
 * ``-ENODEV`` once the device is unplugged, ``-ERESTARTSYS``/``-EINTR``
 * when a signal interrupts the wait for a BO's lock, ``-ENOMEM``.
 */
struct drm_vision_submit {
	/** @jobs: (in) user pointer to @num_jobs job structs. */
	__u64 jobs;

	/**
	 * @num_jobs: (in) number of jobs, 1 to %DRM_VISION_PARAM_MAX_JOBS.
	 */
	__u32 num_jobs;

	/**
	 * @job_struct_size: (in) bytes between consecutive jobs: the
	 * caller's sizeof(struct drm_vision_job), at least the size of the
	 * first version and at most %DRM_VISION_MAX_JOB_STRUCT_SIZE.
	 */
	__u32 job_struct_size;

	/** @priority: (in) a %DRM_VISION_SUBMIT_PRIORITY_* value. */
	__u32 priority;

	/** @flags: (in) reserved, must be zero. */
	__u32 flags;

	/** @reserved: (in) reserved, must be zero. */
	__u64 reserved;
};

/**
 * struct drm_vision_profile - header of a job's profile
 *
 * Written to the profile BO of a job submitted with
 * %DRM_VISION_JOB_PROFILE, followed by @num_ops &struct drm_vision_profile_op.
 * Times are nanoseconds of ``CLOCK_MONOTONIC``.
 */
struct drm_vision_profile {
	/** @num_ops: operators that follow. */
	__u32 num_ops;

	/** @core: the core that ran the job. */
	__u32 core;

	/** @queued_ns: when the job was submitted. */
	__u64 queued_ns;

	/** @start_ns: when the job started on its core. */
	__u64 start_ns;

	/** @input_ns: time spent in the input stage or the input copy. */
	__u64 input_ns;

	/** @total_ns: time from start to completion. */
	__u64 total_ns;

	/** @reserved: zero. */
	__u64 reserved;
};

/**
 * struct drm_vision_profile_op - one operator in a profile
 */
struct drm_vision_profile_op {
	/** @duration_ns: time the operator took. */
	__u64 duration_ns;

	/**
	 * @cycles: device cycles the operator took; the virtual NPU counts
	 * one cycle per multiply-accumulate or element operation.
	 */
	__u64 cycles;
};

#if defined(__cplusplus)
}
#endif

#endif /* __UAPI_VISION_ACCEL_H__ */
