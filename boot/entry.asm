; The first instructions of Quiesce: 32-bit entry from GRUB to 64-bit C.
;
; GRUB enters _start in 32-bit protected mode with paging off, EAX = the
; multiboot2 magic and EBX = the physical address of the boot information.
; We (1) check the magic and the CPU features we cannot live without, printing
; a readable error on COM1 if one is missing, (2) build boot page tables,
; (3) switch to long mode, (4) jump to the higher half and call kmain().
;
; The boot page tables map the first 4 GiB three times, with 2 MiB pages:
;   identity            0x0                 (we are executing there now)
;   direct map          0xffff888000000000  (phys_to_virt works at once)
;   kernel image        0xffffffff80000000  (first GiB only: the image)
; mm/kernel_pgtable.c replaces them with the kernel's real tables; the
; identity part stays until the APs are up (their trampoline needs it).

MB2_BOOT_MAGIC equ 0x36d76289
COM1           equ 0x3f8
DEBUG_EXIT     equ 0xf4          ; QEMU isa-debug-exit port
KERNEL_VIRT    equ 0xffffffff80000000
PML4_DIRECT    equ 273           ; index of 0xffff888000000000

PTE_P   equ 1 << 0
PTE_W   equ 1 << 1
PTE_PS  equ 1 << 7

global _start
global boot_pml4
global boot_pdpt_low
extern kmain
extern __bss_start
extern __bss_end
global boot_stack_top

section .boot.text
bits 32
_start:
	cli
	cld
	mov esp, early_stack_top
	mov edi, eax                   ; keep magic and info pointer safe
	mov esi, ebx
	call serial_init32

	cmp edi, MB2_BOOT_MAGIC
	jne .no_multiboot
	call check_cpu                 ; returns only if the CPU is good

	call build_boot_tables
	mov eax, boot_pml4
	mov cr3, eax

	mov eax, cr4
	or eax, 1 << 5                 ; CR4.PAE
	mov cr4, eax

	mov ecx, 0xc0000080            ; EFER
	rdmsr
	or eax, (1 << 8) | (1 << 11)   ; LME (long mode) | NXE (no-execute)
	wrmsr

	mov eax, cr0
	or eax, (1 << 31) | (1 << 16)  ; PG | WP (write protect applies to ring 0)
	mov cr0, eax                   ; now in compatibility mode

	lgdt [gdt64_ptr]
	jmp 0x08:long_mode_entry

.no_multiboot:
	mov esi, msg_no_mb2
	jmp boot_fail

; check_cpu: CPUID must exist and report long mode, PAE and NX.
check_cpu:
	pushfd                         ; CPUID exists iff EFLAGS.ID can flip
	pop eax
	mov ecx, eax
	xor eax, 1 << 21
	push eax
	popfd
	pushfd
	pop eax
	push ecx
	popfd
	xor eax, ecx
	jz .no_cpuid

	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb .no_lm
	mov eax, 0x80000001
	cpuid
	test edx, 1 << 29              ; LM
	jz .no_lm
	test edx, 1 << 20              ; NX
	jz .no_nx
	mov eax, 1
	cpuid
	test edx, 1 << 6               ; PAE
	jz .no_pae
	ret
.no_cpuid:
	mov esi, msg_no_cpuid
	jmp boot_fail
.no_lm:
	mov esi, msg_no_lm
	jmp boot_fail
.no_nx:
	mov esi, msg_no_nx
	jmp boot_fail
.no_pae:
	mov esi, msg_no_pae
	jmp boot_fail

; build_boot_tables: 4 page directories of 2 MiB pages cover 0..4 GiB.
build_boot_tables:
	mov edi, boot_pd
	xor ecx, ecx                   ; ecx = index of the 2 MiB page (0..2047)
.next_pde:
	mov eax, ecx
	shl eax, 21
	or eax, PTE_P | PTE_W | PTE_PS
	mov [edi + ecx * 8], eax
	mov eax, ecx
	shr eax, 11                    ; bits 32+ of the physical address
	mov [edi + ecx * 8 + 4], eax
	inc ecx
	cmp ecx, 2048
	jb .next_pde

	xor ecx, ecx                   ; boot_pdpt_low[0..3] -> the 4 PDs
.next_pdpte:
	mov eax, ecx
	shl eax, 12
	add eax, boot_pd
	or eax, PTE_P | PTE_W
	mov [boot_pdpt_low + ecx * 8], eax
	inc ecx
	cmp ecx, 4
	jb .next_pdpte

	mov eax, boot_pdpt_low + (PTE_P | PTE_W)
	mov [boot_pml4], eax                        ; identity
	mov [boot_pml4 + PML4_DIRECT * 8], eax      ; direct map
	mov eax, boot_pdpt_high + (PTE_P | PTE_W)
	mov [boot_pml4 + 511 * 8], eax              ; kernel image
	mov eax, boot_pd + (PTE_P | PTE_W)
	mov [boot_pdpt_high + 510 * 8], eax         ; -2 GiB -> first GiB
	ret

; boot_fail: print "Quiesce: boot error: <esi>" on COM1, leave QEMU, halt.
boot_fail:
	push esi
	mov esi, msg_prefix
	call puts32
	pop esi
	call puts32
	mov esi, msg_newline
	call puts32
	mov dx, DEBUG_EXIT
	mov eax, 2                     ; QEMU exit status 2*2+1 = 5
	out dx, eax
.halt:
	hlt
	jmp .halt

serial_init32:
	mov dx, COM1 + 1
	xor al, al
	out dx, al                     ; no interrupts
	mov dx, COM1 + 3
	mov al, 0x80
	out dx, al                     ; DLAB on
	mov dx, COM1
	mov al, 1
	out dx, al                     ; divisor 1: 115200 baud
	mov dx, COM1 + 1
	xor al, al
	out dx, al
	mov dx, COM1 + 3
	mov al, 0x03
	out dx, al                     ; 8N1, DLAB off
	mov dx, COM1 + 2
	mov al, 0xc7
	out dx, al                     ; FIFO on, cleared
	ret

puts32:                            ; esi = NUL-terminated string
	lodsb
	test al, al
	jz .done
	mov ah, al
	mov dx, COM1 + 5
.wait:
	in al, dx
	test al, 0x20                  ; transmit holding register empty
	jz .wait
	mov dx, COM1
	mov al, ah
	out dx, al
	jmp puts32
.done:
	ret

bits 64
long_mode_entry:
	xor eax, eax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov rax, higher_half_entry
	jmp rax

section .text
; From here on we run at the kernel's link address in the higher half.
higher_half_entry:
	mov rdi, __bss_start           ; GRUB zeroes .bss too; do not rely on it
	mov rcx, __bss_end
	sub rcx, rdi
	xor eax, eax
	rep stosb
	mov rsp, boot_stack_top
	xor ebp, ebp                   ; ends the backtrace frame chain
	mov edi, esi                   ; kmain(boot info phys, magic)
	mov esi, MB2_BOOT_MAGIC
	call kmain
.hang:
	cli
	hlt
	jmp .hang

section .boot.data
align 16
gdt64:
	dq 0
	dq 0x00af9a000000ffff          ; 0x08: 64-bit kernel code
	dq 0x00cf92000000ffff          ; 0x10: kernel data
gdt64_ptr:
	dw $ - gdt64 - 1
	dd gdt64

msg_prefix:   db "Quiesce: boot error: ", 0
msg_newline:  db 13, 10, 0
msg_no_mb2:   db "not started by a multiboot2 boot loader (bad magic)", 0
msg_no_cpuid: db "CPU has no CPUID instruction", 0
msg_no_lm:    db "CPU has no long mode", 0
msg_no_nx:    db "CPU has no NX (no-execute) bit", 0
msg_no_pae:   db "CPU has no PAE", 0

section .boot.bss nobits
align 4096
boot_pml4:      resb 4096
boot_pdpt_low:  resb 4096
boot_pdpt_high: resb 4096
boot_pd:        resb 4 * 4096
early_stack:    resb 1024
early_stack_top:

; The boot CPU's kernel stack (16 KiB), in the higher half's .bss.
section .bss
align 16
boot_stack:     resb 16384
boot_stack_top:
