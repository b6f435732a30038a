/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvm tracepoints, system "hvm" in tracefs (events/hvm/) and perf.
 * Arguments are plain values, not hvm structures: a disabled event costs
 * one static branch and no argument is computed for it.  Include hvm.h
 * first (enum hvm_exit_kind).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM hvm

#if !defined(HVM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define HVM_TRACE_H

#include <linux/tracepoint.h>

/* enum hvm_exit_kind's values in the format files, for tools. */
TRACE_DEFINE_ENUM(HVM_X_NONE);
TRACE_DEFINE_ENUM(HVM_X_CPUID);
TRACE_DEFINE_ENUM(HVM_X_RDMSR);
TRACE_DEFINE_ENUM(HVM_X_WRMSR);
TRACE_DEFINE_ENUM(HVM_X_HLT);
TRACE_DEFINE_ENUM(HVM_X_IO);
TRACE_DEFINE_ENUM(HVM_X_NPF);
TRACE_DEFINE_ENUM(HVM_X_XSETBV);
TRACE_DEFINE_ENUM(HVM_X_SHUTDOWN);
TRACE_DEFINE_ENUM(HVM_X_FAIL_ENTRY);
TRACE_DEFINE_ENUM(HVM_X_UNHANDLED);

TRACE_EVENT(hvm_entry,
	    TP_PROTO(u32 vcpu_id, u64 rip),
	    TP_ARGS(vcpu_id, rip),
	    TP_STRUCT__entry(__field(u32, vcpu_id)
			     __field(u64, rip)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->rip = rip;),
	    TP_printk("vcpu %u rip 0x%llx", __entry->vcpu_id, __entry->rip)
);

TRACE_EVENT(hvm_exit,
	    TP_PROTO(u32 vcpu_id, u32 reason, u64 hw_code, u64 rip),
	    TP_ARGS(vcpu_id, reason, hw_code, rip),
	    TP_STRUCT__entry(__field(u32, vcpu_id)
			     __field(u32, reason)
			     __field(u64, hw_code)
			     __field(u64, rip)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->reason = reason;
			   __entry->hw_code = hw_code;
			   __entry->rip = rip;),
	    TP_printk("vcpu %u reason %s hw 0x%llx rip 0x%llx",
		      __entry->vcpu_id,
		      __print_symbolic(__entry->reason,
				       { HVM_X_NONE, "other" },
				       { HVM_X_CPUID, "cpuid" },
				       { HVM_X_RDMSR, "rdmsr" },
				       { HVM_X_WRMSR, "wrmsr" },
				       { HVM_X_HLT, "hlt" },
				       { HVM_X_IO, "io" },
				       { HVM_X_NPF, "npf" },
				       { HVM_X_XSETBV, "xsetbv" },
				       { HVM_X_SHUTDOWN, "shutdown" },
				       { HVM_X_FAIL_ENTRY, "fail_entry" },
				       { HVM_X_UNHANDLED, "unhandled" }),
		      __entry->hw_code, __entry->rip)
);

/* result: 0 mapped (or retry), -ENOENT MMIO, else the error. */
TRACE_EVENT(hvm_npf,
	    TP_PROTO(u32 vcpu_id, u64 gpa, bool write, int result),
	    TP_ARGS(vcpu_id, gpa, write, result),
	    TP_STRUCT__entry(__field(u32, vcpu_id)
			     __field(u64, gpa)
			     __field(u8, write)
			     __field(int, result)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->gpa = gpa;
			   __entry->write = write;
			   __entry->result = result;),
	    TP_printk("vcpu %u gpa 0x%llx %s result %d", __entry->vcpu_id,
		      __entry->gpa, __entry->write ? "write" : "read",
		      __entry->result)
);

/* seq: the slot's request number, or the posted entry's number. */
TRACE_EVENT(hvm_ring_request,
	    TP_PROTO(u32 vcpu_id, u64 seq, u8 space, u64 addr, u8 size,
		     bool write, u64 data, bool posted),
	    TP_ARGS(vcpu_id, seq, space, addr, size, write, data, posted),
	    TP_STRUCT__entry(__field(u32, vcpu_id)
			     __field(u64, seq)
			     __field(u64, addr)
			     __field(u64, data)
			     __field(u8, space)
			     __field(u8, size)
			     __field(u8, write)
			     __field(u8, posted)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->seq = seq;
			   __entry->addr = addr;
			   __entry->data = data;
			   __entry->space = space;
			   __entry->size = size;
			   __entry->write = write;
			   __entry->posted = posted;),
	    TP_printk("vcpu %u seq %llu %s %s 0x%llx size %u data 0x%llx%s",
		      __entry->vcpu_id, __entry->seq,
		      __entry->space ? "mmio" : "pio",
		      __entry->write ? "write" : "read", __entry->addr,
		      __entry->size, __entry->data,
		      __entry->posted ? " posted" : "")
);

TRACE_EVENT(hvm_ring_complete,
	    TP_PROTO(u32 vcpu_id, u64 seq, int result, u64 data),
	    TP_ARGS(vcpu_id, seq, result, data),
	    TP_STRUCT__entry(__field(u32, vcpu_id)
			     __field(u64, seq)
			     __field(u64, data)
			     __field(int, result)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->seq = seq;
			   __entry->data = data;
			   __entry->result = result;),
	    TP_printk("vcpu %u seq %llu result %d data 0x%llx",
		      __entry->vcpu_id, __entry->seq, __entry->result,
		      __entry->data)
);

TRACE_EVENT(hvm_inject,
	    TP_PROTO(u32 vcpu_id, u8 vector, bool has_error, u32 error_code),
	    TP_ARGS(vcpu_id, vector, has_error, error_code),
	    TP_STRUCT__entry(__field(u32, vcpu_id)
			     __field(u8, vector)
			     __field(u8, has_error)
			     __field(u32, error_code)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->vector = vector;
			   __entry->has_error = has_error;
			   __entry->error_code = error_code;),
	    TP_printk("vcpu %u vector %u%s error_code 0x%x", __entry->vcpu_id,
		      __entry->vector, __entry->has_error ? "" : " (none)",
		      __entry->error_code)
);

#endif /* HVM_TRACE_H */

/* The module's own directory, not include/trace/events. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
