// decodeFast's body (decodefast_amd64.s), and decodeFastBMI's
// (decodefastbmi_amd64.s), from the loop to the label done: each file
// defines VSTOP, VJOIN and ADDRDELTA, and has the TEXT line, the loads of
// the arguments before this body and the label done with the stores of the
// results after it (where go vet checks their offsets; it does not read
// this file). Locals: wend-8, evend-16 (the ends), ncpu-24, tdelta-32,
// val-40, mmv-48, xv-56, nrv-64 (an extension record's values), cxv-72 (CX
// saved), nstrv-80 (nstr).
//
// decodeFast is decodeRun's plain path and its fast path for records with
// an extension byte (decode.go), written out (the Go compiler spills that
// loop's state on every record), and it also takes extension records with an
// nr, which that Go path leaves to decodeGeneral. It decodes a record only once it knows the
// record is whole and one it takes (every varint ends within eight bytes,
// every value is in range), so it stops before any other record without
// changing any state, and decodeRun decodes (or reports) that one.
//
// Records without an extension byte of an op with an address and no arg
// (updates, accesses, TLB flushes: most records) take a path of their own,
// which needs no check of the head byte, decodes the address delta whether
// or not there is one (a mispredicted branch costs more than the varint's
// instructions) and writes every field of the event without a branch; the
// others go through general.
//
// Registers: SI the record, DI the event, R10 the CPU's state, R11 the op
// table, R12 the codec state; BX the head byte, R8 its op, CX the op's
// opInfo, DX the record's length so far, R13 the extension byte (0 if
// none), AX the varint just decoded; R9, R14, R15 scratch. Locals hold the
// ends and, for a record with an extension byte, its values until it is
// known to be whole.

// WORD decodes the varint at SI+DX into AX and advances DX (varintWord);
// a varint longer than eight bytes ends the run (done). It is VSTOP, the
// length added, then VJOIN; the address records' path masks the input and
// the length between them instead (decoding no varint without the A bit).
#define WORD \
	MOVQ (SI)(DX*1), AX; \
	VSTOP; \
	ADDQ R14, DX; \
	VJOIN

// WORD32 is WORD for a 32-bit field (nr, mm): a value out of range ends
// the run (done), and decodeRun reports it.
#define WORD32 \
	WORD; \
	MOVQ AX, R14; \
	SHRQ $32, R14; \
	JNE  done

loop:
	CMPQ SI, wend-8(SP)
	JAE  done
	CMPQ DI, evend-16(SP)
	JAE  done
	MOVBQZX (SI), BX
	MOVQ BX, R8
	ANDQ $const_headOp, R8
	LEAQ (R8)(R8*8), CX
	LEAQ (R11)(CX*8), CX // &infos[op] (opInfo__size is 72)
	CMPQ BX, $const_headExt
	JAE  general
	CMPB opInfo_addrRec(CX), $0
	JEQ  general

	// A record without an extension byte of an op with an address and no
	// arg (an update, an access, a TLB flush): every head byte of such an
	// op is valid. The time delta into R13, then the address into R14
	// and the op's slot into R9.
	MOVQ $1, DX
	XORQ R13, R13
	TESTQ $const_headTime, BX
	JEQ  atimed
	MOVBQZX 1(SI), R13
	MOVQ $2, DX
	CMPQ R13, $0x80
	JAE  atime2

atimed:
	// The address delta without a branch on A (whose presence follows
	// no pattern in most traces): WORD with its input and its length
	// masked by R9, all ones with A and 0 without, so that without A
	// the delta is 0 and no byte is used.
	MOVQ BX, R9
	SHLQ $57, R9
	SARQ $63, R9
	ADDRDELTA
	MOVQ AX, R15
	SHRQ $1, R15
	ANDQ $1, AX
	NEGQ AX
	XORQ R15, AX
	MOVBQZX opInfo_slot(CX), R9
	MOVQ cpuState_next(R10)(R9*8), R14
	ADDQ AX, R14

awhole:
	// The record is whole: the CPU's state, then the event (every field;
	// site[op] is 0 for an op without a site).
	ADDQ cpuState_time(R10), R13
	MOVQ R13, cpuState_time(R10)
	MOVQ R13, Event_Time(DI)
	MOVQ R14, Event_Addr(DI)
	ADDQ cpuState_step(R10)(R9*8), R14
	MOVQ R14, cpuState_next(R10)(R9*8)
	MOVQ $0, Event_Arg(DI)
	MOVQ cpuState_cpu(R10), R15 // cpu and pid
	MOVQ R15, Event_CPU(DI)
	MOVBQZX opInfo_mmSlot(CX), R15
	MOVL cpuState_mm(R10)(R15*4), R15
	MOVL R15, Event_MM(DI)
	MOVL (opInfo_def+Event_Nr)(CX), R15
	MOVL R15, Event_Nr(DI)
	MOVL codecState_site(R12)(R8*4), R15
	MOVL R15, Event_Site(DI)
	MOVL codecState_extra(R12)(R8*4), R15
	MOVL R15, Event_Extra(DI)
	MOVW (opInfo_def+Event_Op)(CX), R15 // the op and its default flags
	MOVW R15, Event_Op(DI)
	MOVBQZX cpuState_shift(R10)(R9*1), R15
	MOVB R15, Event_Shift(DI)
	ADDQ DX, SI
	ADDQ $Event__size, DI
	JMP  loop

atime2:
	// A two-byte time delta (three bytes or more: decodeRun).
	MOVBQZX 2(SI), R14
	CMPQ R14, $0x80
	JAE  done
	ANDQ $0x7f, R13
	SHLQ $7, R14
	ORQ  R14, R13
	MOVQ $3, DX
	JMP  atimed

general:
	TESTQ BX, BX
	JEQ  done
	MOVBQZX opInfo_head(CX), R9
	NOTQ R9
	TESTQ BX, R9
	JNE  done // a bit the op has no field for: decodeRun reports it
	CMPQ BX, $const_headExt
	JAE  ext

	// A plain record: the time delta into R13, then the address delta or
	// the arg.
	MOVQ $1, DX
	XORQ R13, R13
	TESTQ $const_headTime, BX
	JEQ  ptimed
	MOVBQZX 1(SI), R13
	MOVQ $2, DX
	CMPQ R13, $0x80
	JB   ptimed
	MOVBQZX 2(SI), R14
	CMPQ R14, $0x80
	JAE  done // three bytes or more
	ANDQ $0x7f, R13
	SHLQ $7, R14
	ORQ  R14, R13
	MOVQ $3, DX

ptimed:
	// An op with an address and no arg took the path above (addrRec),
	// so one without an arg here has no address either: only an arg
	// varint can follow.
	XORQ AX, AX
	CMPB opInfo_hasArg(CX), $0
	JEQ  pwhole
	WORD

pwhole:
	ADDQ R13, cpuState_time(R10)
	XORQ R13, R13
	JMP  decoded

ext:
	// An extension byte with only the bits of decodeRun's fast path (a
	// cpu below 128 already seen, an mm, an extra string) and an nr.
	MOVBQZX 1(SI), R13
	MOVBQZX opInfo_fastAsm(CX), R9
	NOTQ R9
	TESTQ R13, R9
	JNE  done
	MOVLQZX codecState_cpu(R12), R9
	MOVQ $2, DX
	TESTQ $const_extCPU, R13
	JEQ  xcpu
	MOVBQZX 2(SI), R9
	CMPQ R9, $0x80
	JAE  done
	CMPQ R9, (codecState_cpus+8)(R12)
	JAE  done // a cpu not seen yet: decodeGeneral grows the table
	MOVQ $3, DX

xcpu:
	MOVQ R9, ncpu-24(SP)
	XORQ R9, R9
	TESTQ $const_headTime, BX
	JEQ  xtimed
	MOVBQZX (SI)(DX*1), R9
	INCQ DX
	CMPQ R9, $0x80
	JB   xtimed
	MOVBQZX (SI)(DX*1), R14
	INCQ DX
	CMPQ R14, $0x80
	JAE  done
	ANDQ $0x7f, R9
	SHLQ $7, R14
	ORQ  R14, R9

xtimed:
	MOVQ R9, tdelta-32(SP)
	MOVQ $0, val-40(SP)
	CMPB opInfo_kind(CX), $const_kindNone
	JEQ  xextra
	TESTQ $const_headAddr, BX
	JEQ  xnr
	WORD
	MOVQ AX, val-40(SP)

xnr:
	TESTQ $const_extNr, R13
	JEQ  xmm
	WORD32
	MOVQ AX, nrv-64(SP)

xmm:
	TESTQ $const_extMM, R13
	JEQ  xextra
	WORD32
	MOVQ AX, mmv-48(SP)

xextra:
	TESTQ $const_extExtra, R13
	JEQ  xarg
	WORD
	CMPQ AX, nstrv-80(SP)
	JAE  done // no such string: decodeRun reports it
	TESTQ AX, AX
	JNE  xstr
	CMPB opInfo_sticky(CX), $0
	JEQ  done // version 1 refuses extra 0

xstr:
	MOVQ AX, xv-56(SP)

xarg:
	CMPB opInfo_hasArg(CX), $0
	JEQ  xwhole
	WORD
	MOVQ AX, val-40(SP)

xwhole:
	MOVQ ncpu-24(SP), R9
	MOVL R9, codecState_cpu(R12)
	IMUL3Q $cpuState__size, R9, R10
	ADDQ codecState_cpus(R12), R10
	MOVQ tdelta-32(SP), R9
	ADDQ R9, cpuState_time(R10)
	TESTQ $const_extMM, R13
	JEQ  xval
	MOVBQZX opInfo_mmSlot(CX), R9
	ANDQ $const_numSlots-1, R9
	MOVQ mmv-48(SP), R14
	MOVL R14, cpuState_mm(R10)(R9*4)

xval:
	MOVQ val-40(SP), AX

decoded:
	// The record is whole and the CPU's time and mm are set: the event.
	MOVQ cpuState_time(R10), R9
	MOVQ R9, Event_Time(DI)
	MOVQ cpuState_cpu(R10), R9 // cpu and pid
	MOVQ R9, Event_CPU(DI)
	MOVB R8, Event_Op(DI)
	MOVB (opInfo_def+Event_Flags)(CX), R9
	MOVB R9, Event_Flags(DI)
	MOVL codecState_site(R12)(R8*4), R9 // 0 for an op without a site
	MOVL R9, Event_Site(DI)
	MOVL codecState_extra(R12)(R8*4), R9
	TESTQ $const_extExtra, R13
	JEQ  extra
	MOVQ xv-56(SP), R9
	CMPB opInfo_sticky(CX), $0
	JEQ  extra
	MOVL R9, codecState_extra(R12)(R8*4)

extra:
	MOVL R9, Event_Extra(DI)
	CMPB opInfo_kind(CX), $const_kindNone
	JEQ  noaddr

	// The address: predicted for the op's slot, plus the zigzag delta.
	MOVBQZX opInfo_slot(CX), R9
	ANDQ $const_numSlots-1, R9
	MOVQ cpuState_next(R10)(R9*8), R14
	TESTQ $const_headAddr, BX
	JEQ  predicted
	MOVQ AX, R15
	SHRQ $1, R15
	ANDQ $1, AX
	NEGQ AX
	XORQ R15, AX
	ADDQ AX, R14

predicted:
	MOVQ R14, Event_Addr(DI)
	MOVL (opInfo_def+Event_Nr)(CX), R15
	TESTQ $const_extNr, R13
	JNE  xnrnext
	ADDQ cpuState_step(R10)(R9*8), R14
	MOVQ R14, cpuState_next(R10)(R9*8)

nrdone:
	MOVL R15, Event_Nr(DI)
	MOVBQZX cpuState_shift(R10)(R9*1), R14
	MOVB R14, Event_Shift(DI)
	MOVBQZX opInfo_mmSlot(CX), R9
	ANDQ $const_numSlots-1, R9
	MOVL cpuState_mm(R10)(R9*4), R14
	MOVL R14, Event_MM(DI)
	MOVQ $0, Event_Arg(DI)
	JMP  next

xnrnext:
	// The nr of the extension: the next address is nextAddr's, the
	// address plus nr << shift (shift 0: 12), not the op's step. SHLQ
	// takes its count in CX, which holds the op's opInfo.
	MOVQ nrv-64(SP), R15
	MOVQ CX, cxv-72(SP)
	MOVBQZX cpuState_shift(R10)(R9*1), CX
	MOVL $12, AX
	TESTQ CX, CX
	CMOVQEQ AX, CX
	MOVQ R15, AX
	SHLQ CX, AX
	ADDQ AX, R14
	MOVQ R14, cpuState_next(R10)(R9*8)
	MOVQ cxv-72(SP), CX
	JMP  nrdone

noaddr:
	MOVQ $0, Event_Addr(DI)
	MOVL $0, Event_MM(DI)
	MOVL $0, Event_Nr(DI)
	MOVB $0, Event_Shift(DI)
	MOVQ AX, Event_Arg(DI)
	CMPQ R8, $const_OpSwitch
	JNE  next
	MOVL AX, cpuState_pid(R10) // a switch: the next task runs

next:
	ADDQ DX, SI
	ADDQ $Event__size, DI
	JMP  loop
