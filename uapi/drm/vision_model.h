/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Copyright (C) 2026 The vision authors
 */
#ifndef __UAPI_VISION_MODEL_H__
#define __UAPI_VISION_MODEL_H__

#include <linux/types.h>

#if defined(__cplusplus)
extern "C" {
#endif

/**
 * DOC: vision model file
 *
 * A compressed model (``.vnm``) is one little-endian blob, produced by the
 * offline compiler and consumed unchanged by the kernel and by libvision.
 * It starts with &struct vision_model_header, whose section table locates
 * the other sections. All offsets are in bytes from the start of the blob
 * unless stated otherwise; every section starts on an 8-byte boundary and
 * the constant-data section on a %VISION_MODEL_CONST_ALIGN boundary.
 * Sections do not overlap and lie within the blob.
 *
 * Every reserved and flags member must be zero. Every tensor id is an
 * index into the tensor table; %VISION_MODEL_NO_TENSOR marks an unused
 * operand slot. Numbers follow the TFLite int8 quantization scheme; see
 * Documentation/model-format.rst for the arithmetic of each operator.
 */

/** VISION_MODEL_MAGIC - first four bytes of a model: "VNM1" */
#define VISION_MODEL_MAGIC 0x314d4e56
/** VISION_MODEL_VERSION - format version this header describes */
#define VISION_MODEL_VERSION 1
/** VISION_MODEL_CONST_ALIGN - alignment of the constant-data section */
#define VISION_MODEL_CONST_ALIGN 64
/** VISION_MODEL_TENSOR_ALIGN - alignment of arena and constant tensors */
#define VISION_MODEL_TENSOR_ALIGN 16
/** VISION_MODEL_NO_TENSOR - tensor id of an unused operand slot */
#define VISION_MODEL_NO_TENSOR 0xffffffffu
/** VISION_MODEL_NO_NAME - name offset of an unnamed tensor or op */
#define VISION_MODEL_NO_NAME 0xffffffffu

/* Limits every reader enforces. */
#define VISION_MODEL_MAX_SIZE (256u << 20)
#define VISION_MODEL_MAX_TENSORS 65536
#define VISION_MODEL_MAX_OPS 16384
#define VISION_MODEL_MAX_DIM 65536
#define VISION_MODEL_MAX_ARENA (256u << 20)
#define VISION_MODEL_MAX_OP_INPUTS 8
#define VISION_MODEL_MAX_OUTPUTS 8
#define VISION_MODEL_MAX_LABELS 65536

/**
 * enum vision_model_section_type - kinds of section
 * @VISION_MODEL_SECTION_TENSORS: array of &struct vision_model_tensor
 * @VISION_MODEL_SECTION_OPS: array of &struct vision_model_op, in
 *	execution order
 * @VISION_MODEL_SECTION_CONST: constant data (weights, biases,
 *	requantization tables, lookup tables), %VISION_MODEL_CONST_ALIGN
 *	aligned
 * @VISION_MODEL_SECTION_INPUT: one &struct vision_model_input_stage
 * @VISION_MODEL_SECTION_OUTPUTS: array of &struct vision_model_output
 * @VISION_MODEL_SECTION_NAMES: NUL-terminated UTF-8 strings, referenced by
 *	offset from the start of this section; its last byte is NUL
 * @VISION_MODEL_SECTION_COUNT: number of section types; each appears
 *	exactly once in the table, at the index of its type
 */
enum vision_model_section_type {
	VISION_MODEL_SECTION_TENSORS = 0,
	VISION_MODEL_SECTION_OPS = 1,
	VISION_MODEL_SECTION_CONST = 2,
	VISION_MODEL_SECTION_INPUT = 3,
	VISION_MODEL_SECTION_OUTPUTS = 4,
	VISION_MODEL_SECTION_NAMES = 5,
	VISION_MODEL_SECTION_COUNT = 6,
};

/**
 * struct vision_model_section - where one section lies
 * @offset: byte offset from the start of the blob
 * @size: size in bytes; for table sections, @count * @entry_size
 * @count: number of entries (table sections), else 0
 * @entry_size: size of one entry (table sections), else 0; must equal the
 *	size of the entry structure of this version
 */
struct vision_model_section {
	__u64 offset;
	__u64 size;
	__u32 count;
	__u32 entry_size;
};

/**
 * struct vision_model_header - start of every model
 * @magic: %VISION_MODEL_MAGIC
 * @version: %VISION_MODEL_VERSION
 * @header_size: sizeof(struct vision_model_header)
 * @crc32: CRC-32 (IEEE 802.3, reflected, as zlib's crc32()) of the whole
 *	blob computed with this member set to zero
 * @file_size: size of the blob in bytes
 * @arena_size: bytes of activation memory ("SRAM") the model needs; every
 *	arena tensor lies within it
 * @flags: must be zero
 * @reserved: must be zero
 * @sections: the section table, indexed by &enum vision_model_section_type
 */
struct vision_model_header {
	__u32 magic;
	__u32 version;
	__u32 header_size;
	__u32 crc32;
	__u64 file_size;
	__u64 arena_size;
	__u32 flags;
	__u32 reserved[3];
	struct vision_model_section sections[VISION_MODEL_SECTION_COUNT];
};

/**
 * enum vision_model_type - element types
 * @VISION_MODEL_TYPE_INT8: signed 8-bit, quantized (activations, weights,
 *	lookup tables)
 * @VISION_MODEL_TYPE_INT32: signed 32-bit (biases)
 */
enum vision_model_type {
	VISION_MODEL_TYPE_INT8 = 1,
	VISION_MODEL_TYPE_INT32 = 2,
};

/**
 * enum vision_model_location - where a tensor's bytes live
 * @VISION_MODEL_LOC_ARENA: in the activation arena, at @offset
 * @VISION_MODEL_LOC_CONST: in the constant-data section, at @offset
 */
enum vision_model_location {
	VISION_MODEL_LOC_ARENA = 1,
	VISION_MODEL_LOC_CONST = 2,
};

/**
 * enum vision_model_encoding - how a constant weight tensor is stored
 * @VISION_MODEL_ENC_DENSE: every element, row-major in shape order
 * @VISION_MODEL_ENC_BLOCK4: block-sparse, for CONV_2D and FULLY_CONNECTED
 *	weights: each output channel's reduction row (KH*KW*Cin/groups
 *	values, padded with zeros to a multiple of 4) is cut into blocks of 4
 *	consecutive values and only non-zero blocks are stored. Layout, all
 *	little-endian: ``__u32 row_ptr[Cout + 1]`` (block index where each
 *	row starts; row_ptr[0] = 0, non-decreasing), ``__u32 col[nblocks]``
 *	(block column within the row, strictly increasing per row, less than
 *	the row's block count), then ``__s8 values[nblocks * 4]``
 *	starting on a 4-byte boundary. nblocks = row_ptr[Cout].
 */
enum vision_model_encoding {
	VISION_MODEL_ENC_DENSE = 0,
	VISION_MODEL_ENC_BLOCK4 = 1,
};

/**
 * struct vision_model_tensor - one tensor
 * @shape: NHWC dimensions, each at least 1 and at most
 *	%VISION_MODEL_MAX_DIM; lower-rank tensors use leading 1s
 * @type: &enum vision_model_type
 * @location: &enum vision_model_location
 * @offset: byte offset in the arena or the constant-data section,
 *	%VISION_MODEL_TENSOR_ALIGN aligned
 * @size: bytes occupied: the element count times the element size, or for
 *	an encoded constant the encoded size
 * @zero_point: quantization zero point, in [-128, 127] for INT8, 0 for
 *	INT32 and for weights
 * @scale: quantization scale as IEEE-754 binary32 bits; informative (the
 *	engine uses the integer multipliers of the operators)
 * @channel_scales: for per-channel quantized weights, offset in the
 *	constant-data section of shape[0] binary32 scales (informative);
 *	0xffffffff when per-tensor
 * @encoding: &enum vision_model_encoding; non-dense only for constant
 *	weights
 * @name: offset of the tensor's name in the names section, or
 *	%VISION_MODEL_NO_NAME
 * @flags: must be zero
 * @reserved: must be zero
 */
struct vision_model_tensor {
	__u32 shape[4];
	__u32 type;
	__u32 location;
	__u64 offset;
	__u64 size;
	__s32 zero_point;
	__u32 scale;
	__u32 channel_scales;
	__u32 encoding;
	__u32 name;
	__u32 flags;
	__u32 reserved[2];
};

/**
 * enum vision_model_op_type - operators
 * @VISION_MODEL_OP_CONV_2D: inputs: activation [N,H,W,Cin], weights
 *	[Cout,KH,KW,Cin/groups] (dense or BLOCK4), bias INT32 [1,1,1,Cout];
 *	params: &struct vision_model_conv
 * @VISION_MODEL_OP_FULLY_CONNECTED: inputs: activation [N,...] flattened
 *	to [N,K], weights [Cout,1,1,K], bias [1,1,1,Cout]; output
 *	[N,1,1,Cout]; params: &struct vision_model_conv (geometry unused,
 *	must be stride 1, dilation 1, no padding, groups 1)
 * @VISION_MODEL_OP_ADD: two activations, broadcast per dimension;
 *	params: &struct vision_model_binary
 * @VISION_MODEL_OP_MUL: two activations, broadcast per dimension;
 *	params: &struct vision_model_binary
 * @VISION_MODEL_OP_MAX_POOL: params: &struct vision_model_pool
 * @VISION_MODEL_OP_AVG_POOL: params: &struct vision_model_pool
 * @VISION_MODEL_OP_GLOBAL_AVG_POOL: mean over H and W, requantized;
 *	params: &struct vision_model_pool (requant and activation used)
 * @VISION_MODEL_OP_CONCAT: up to %VISION_MODEL_MAX_OP_INPUTS activations
 *	joined along C, each requantized to the output;
 *	params: &struct vision_model_concat
 * @VISION_MODEL_OP_PAD: constant padding of H and W;
 *	params: &struct vision_model_pad
 * @VISION_MODEL_OP_RESHAPE: a view: the output has the input's arena
 *	offset and size and a different shape; no data moves
 * @VISION_MODEL_OP_LUT: element-wise int8 -> int8 through a 256-entry
 *	constant table (second input, INT8 [1,1,1,256], indexed by
 *	value + 128)
 * @VISION_MODEL_OP_SOFTMAX: along C; output scale 1/256, zero point -128;
 *	params: &struct vision_model_softmax
 * @VISION_MODEL_OP_RESIZE: nearest or bilinear resize of H and W;
 *	params: &struct vision_model_resize
 * @VISION_MODEL_OP_COUNT: number of operator types
 */
enum vision_model_op_type {
	VISION_MODEL_OP_CONV_2D = 1,
	VISION_MODEL_OP_FULLY_CONNECTED = 2,
	VISION_MODEL_OP_ADD = 3,
	VISION_MODEL_OP_MUL = 4,
	VISION_MODEL_OP_MAX_POOL = 5,
	VISION_MODEL_OP_AVG_POOL = 6,
	VISION_MODEL_OP_GLOBAL_AVG_POOL = 7,
	VISION_MODEL_OP_CONCAT = 8,
	VISION_MODEL_OP_PAD = 9,
	VISION_MODEL_OP_RESHAPE = 10,
	VISION_MODEL_OP_LUT = 11,
	VISION_MODEL_OP_SOFTMAX = 12,
	VISION_MODEL_OP_RESIZE = 13,
	VISION_MODEL_OP_COUNT = 14,
};

/**
 * struct vision_model_requant - a real multiplier in TFLite form
 * @multiplier: Q31 fixed-point mantissa, in [2^30, 2^31 - 1], or 0 for a
 *	zero scale
 * @shift: power-of-two exponent, in [-31, 30]; the real value is
 *	multiplier * 2^(shift - 31)
 */
struct vision_model_requant {
	__s32 multiplier;
	__s32 shift;
};

/**
 * struct vision_model_conv - CONV_2D and FULLY_CONNECTED parameters
 * @stride_h: vertical stride, >= 1
 * @stride_w: horizontal stride, >= 1
 * @dilation_h: vertical dilation, >= 1
 * @dilation_w: horizontal dilation, >= 1
 * @pad_top: rows of implicit zero-point padding above
 * @pad_left: columns of implicit padding on the left
 * @pad_bottom: rows below
 * @pad_right: columns on the right
 * @groups: Cin and Cout are multiples of it; depthwise when groups = Cin
 * @act_min: fused activation clamp, lower bound, in [-128, 127]
 * @act_max: upper bound, >= @act_min
 * @requant: offset in the constant-data section of Cout
 *	&struct vision_model_requant, 8-byte aligned: input scale * weight
 *	scale / output scale per output channel
 * @reserved: must be zero
 */
struct vision_model_conv {
	__u32 stride_h;
	__u32 stride_w;
	__u32 dilation_h;
	__u32 dilation_w;
	__u32 pad_top;
	__u32 pad_left;
	__u32 pad_bottom;
	__u32 pad_right;
	__u32 groups;
	__s32 act_min;
	__s32 act_max;
	__u32 requant;
	__u32 reserved[4];
};

/**
 * struct vision_model_binary - ADD and MUL parameters
 * @left_shift: ADD: inputs are shifted left by this much before scaling,
 *	in [0, 20] (TFLite uses 20); MUL: must be 0
 * @input1: ADD: scale of input 1 relative to the common scale (a
 *	multiplier below one, shift <= 0); MUL: must be zero
 * @input2: ADD: likewise for input 2; MUL: must be zero
 * @output: ADD: common scale to output scale; MUL: input1 scale * input2
 *	scale / output scale
 * @act_min: fused activation clamp, lower bound
 * @act_max: upper bound
 * @reserved: must be zero
 */
struct vision_model_binary {
	__u32 left_shift;
	struct vision_model_requant input1;
	struct vision_model_requant input2;
	struct vision_model_requant output;
	__s32 act_min;
	__s32 act_max;
	__u32 reserved[7];
};

/**
 * struct vision_model_pool - MAX_POOL, AVG_POOL, GLOBAL_AVG_POOL parameters
 * @filter_h: window height, >= 1 (GLOBAL_AVG_POOL: 0)
 * @filter_w: window width, >= 1 (GLOBAL_AVG_POOL: 0)
 * @stride_h: vertical stride, >= 1 (GLOBAL_AVG_POOL: 0)
 * @stride_w: horizontal stride, >= 1 (GLOBAL_AVG_POOL: 0)
 * @pad_top: rows of padding above, less than @filter_h; padded positions
 *	are left out of the window
 * @pad_left: columns on the left, less than @filter_w
 * @pad_bottom: rows below, less than @filter_h
 * @pad_right: columns on the right, less than @filter_w
 * @requant: GLOBAL_AVG_POOL: input scale / (output scale * H * W);
 *	others: must be zero (input and output share quantization)
 * @act_min: fused activation clamp, lower bound
 * @act_max: upper bound
 * @reserved: must be zero
 */
struct vision_model_pool {
	__u32 filter_h;
	__u32 filter_w;
	__u32 stride_h;
	__u32 stride_w;
	__u32 pad_top;
	__u32 pad_left;
	__u32 pad_bottom;
	__u32 pad_right;
	struct vision_model_requant requant;
	__s32 act_min;
	__s32 act_max;
	__u32 reserved[4];
};

/**
 * struct vision_model_concat - CONCAT parameters
 * @requant: per input, input scale / output scale; a zero multiplier
 *	means the input already has the output's quantization and is copied
 */
struct vision_model_concat {
	struct vision_model_requant requant[VISION_MODEL_MAX_OP_INPUTS];
};

/**
 * struct vision_model_pad - PAD parameters
 * @top: rows added above
 * @bottom: rows added below
 * @left: columns added on the left
 * @right: columns added on the right
 * @value: the int8 value written into the padding (normally the zero
 *	point), in [-128, 127]
 * @reserved: must be zero
 */
struct vision_model_pad {
	__u32 top;
	__u32 bottom;
	__u32 left;
	__u32 right;
	__s32 value;
	__u32 reserved[11];
};

/**
 * struct vision_model_softmax - SOFTMAX parameters (TFLite int8 softmax)
 * @input_beta_multiplier: Q31 multiplier of beta * input scale, scaled
 *	for 5 integer bits
 * @input_beta_left_shift: its left shift, in [0, 31]
 * @diff_min: inputs further than this below the row maximum contribute
 *	zero; negative
 * @reserved: must be zero
 */
struct vision_model_softmax {
	__s32 input_beta_multiplier;
	__s32 input_beta_left_shift;
	__s32 diff_min;
	__u32 reserved[13];
};

/**
 * enum vision_model_resize_mode - RESIZE interpolation
 * @VISION_MODEL_RESIZE_NEAREST: nearest neighbour
 * @VISION_MODEL_RESIZE_BILINEAR: bilinear, TFLite integer arithmetic
 */
enum vision_model_resize_mode {
	VISION_MODEL_RESIZE_NEAREST = 0,
	VISION_MODEL_RESIZE_BILINEAR = 1,
};

/**
 * struct vision_model_resize - RESIZE parameters
 * @mode: &enum vision_model_resize_mode
 * @align_corners: 0 or 1, as TFLite's align_corners
 * @half_pixel_centers: 0 or 1, as TFLite's half_pixel_centers; not both
 *	with @align_corners
 * @reserved: must be zero
 */
struct vision_model_resize {
	__u32 mode;
	__u32 align_corners;
	__u32 half_pixel_centers;
	__u32 reserved[13];
};

/**
 * union vision_model_op_params - per-operator parameters, 64 bytes
 * @conv: CONV_2D, FULLY_CONNECTED
 * @binary: ADD, MUL
 * @pool: MAX_POOL, AVG_POOL, GLOBAL_AVG_POOL
 * @concat: CONCAT
 * @pad: PAD
 * @softmax: SOFTMAX
 * @resize: RESIZE
 * @raw: all of it; operators without parameters (RESHAPE, LUT) leave it
 *	zero
 */
union vision_model_op_params {
	struct vision_model_conv conv;
	struct vision_model_binary binary;
	struct vision_model_pool pool;
	struct vision_model_concat concat;
	struct vision_model_pad pad;
	struct vision_model_softmax softmax;
	struct vision_model_resize resize;
	__u32 raw[16];
};

/**
 * struct vision_model_op - one operator
 * @type: &enum vision_model_op_type
 * @flags: must be zero
 * @name: offset of the layer's name in the names section, or
 *	%VISION_MODEL_NO_NAME
 * @num_inputs: operand slots used in @inputs, 1 to
 *	%VISION_MODEL_MAX_OP_INPUTS; the rest are %VISION_MODEL_NO_TENSOR
 * @inputs: tensor ids of the operands, in the order the operator defines
 * @output: tensor id of the result, an arena INT8 tensor written by no
 *	other operator; every arena operand was written by an earlier
 *	operator or is the model input
 * @reserved: must be zero
 * @params: &union vision_model_op_params
 */
struct vision_model_op {
	__u32 type;
	__u32 flags;
	__u32 name;
	__u32 num_inputs;
	__u32 inputs[VISION_MODEL_MAX_OP_INPUTS];
	__u32 output;
	__u32 reserved[3];
	union vision_model_op_params params;
};

/**
 * enum vision_model_color - channel layout the model's input expects
 * @VISION_MODEL_COLOR_RGB: 3 channels, R G B
 * @VISION_MODEL_COLOR_BGR: 3 channels, B G R
 * @VISION_MODEL_COLOR_GREY: 1 channel, luma
 */
enum vision_model_color {
	VISION_MODEL_COLOR_RGB = 0,
	VISION_MODEL_COLOR_BGR = 1,
	VISION_MODEL_COLOR_GREY = 2,
};

/**
 * struct vision_model_input_stage - how a camera frame becomes the input
 * @tensor: id of the input tensor: arena, INT8, shape [1,H,W,C] with C = 3
 *	for RGB/BGR and 1 for GREY
 * @color: &enum vision_model_color
 * @resize: &enum vision_model_resize_mode used to scale the (cropped)
 *	frame to H x W
 * @norm_shift: right shift of the normalisation, in [0, 30]
 * @norm_mul: per channel: q = clamp((p * norm_mul + norm_add) >> norm_shift
 *	(arithmetic, rounding toward minus infinity), -128, 127) where p in
 *	[0, 255] is the channel value after conversion and resize; the
 *	compiler folds mean, standard deviation and input quantization into
 *	these; |norm_mul| <= 2^22
 * @norm_add: per channel, see @norm_mul; |norm_add| <= 2^30
 * @mean: per channel, binary32 bits of the float mean (informative)
 * @std: per channel, binary32 bits of the float standard deviation
 *	(informative)
 * @flags: must be zero
 * @reserved: must be zero
 */
struct vision_model_input_stage {
	__u32 tensor;
	__u32 color;
	__u32 resize;
	__u32 norm_shift;
	__s32 norm_mul[3];
	__s32 norm_add[3];
	__u32 mean[3];
	__u32 std[3];
	__u32 flags;
	__u32 reserved[3];
};

/**
 * struct vision_model_output - one model output
 * @tensor: id of an arena INT8 tensor
 * @num_labels: number of class labels, 0 or the tensor's element count
 * @labels: offset in the names section of @num_labels consecutive
 *	NUL-terminated strings, or %VISION_MODEL_NO_NAME when @num_labels is 0
 * @flags: must be zero
 * @reserved: must be zero
 */
struct vision_model_output {
	__u32 tensor;
	__u32 num_labels;
	__u32 labels;
	__u32 flags;
	__u32 reserved[4];
};

#if defined(__cplusplus)
}
#endif

#endif /* __UAPI_VISION_MODEL_H__ */
