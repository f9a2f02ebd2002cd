; vmha tiny guest: one BIOS boot sector that counts on COM1.
;
; Serial output (COM1, 0x3f8), one line at a time, each ending in "\n":
;   vmha-guest boot
;   vmha-guest touched N MiB        (only when the touch word below is non-zero)
;   vmha-guest tick 0
;   vmha-guest tick 1
;   ...
; A tick line is written 4 times a second, on the RTC's periodic interrupt, and the CPU sits in `hlt`
; in between, so an idle guest costs next to nothing (under TCG too).
; The counter is 32 bits and lives in RAM: a save/restore continues it, a reboot starts it at 0.
;
; Image layout (tests/guest/mkguest patches it, tests/guest/test-image checks it):
;   offset 504: "VMHT" magic
;   offset 508: touch word, little-endian u16: MiB of RAM to fill from 1 MiB upwards at boot, so that
;               a saved memory image has real size (0 = touch nothing)
;   offset 510: 0x55 0xaa boot signature

bits 16
org 0x7c00

COM1            equ 0x3f8
TOUCH_BASE      equ 0x100000    ; fill starts above the BIOS and our own code

start:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7c00
        jmp 0:.cs_zero          ; some BIOSes enter at 07c0:0000
.cs_zero:
        cld

        ; UART: no interrupts (we poll), 115200 8N1, FIFO on.
        mov dx, COM1 + 1
        xor al, al
        out dx, al
        mov dl, (COM1 + 3) & 0xff
        mov al, 0x80            ; DLAB: divisor follows
        out dx, al
        mov dl, COM1 & 0xff
        mov al, 1
        out dx, al
        inc dx
        xor al, al
        out dx, al
        mov dl, (COM1 + 3) & 0xff
        mov al, 0x03
        out dx, al
        dec dx
        mov al, 0xc7
        out dx, al

        mov si, msg_boot
        call puts

        cmp word [touch_mib], 0
        je .count
        call touch
        mov si, msg_touched
        call puts
        movzx eax, word [touch_mib]
        call put_u32
        mov si, msg_mib
        call puts

.count:
        call start_beat
.line:
        mov si, msg_tick
        call puts
        mov eax, [counter]
        call put_u32
        mov al, 10
        call putc
        inc dword [counter]

        mov ax, [beats]
.sleep:
        hlt                     ; woken by the next beat (IF is set)
        cmp ax, [beats]
        je .sleep
        jmp .line

; The clock: the RTC's periodic interrupt at 4 Hz is the only interrupt left on, and the PIT is
; stopped, so the virtual CPU wakes 4 times a second instead of the BIOS timer's 18.2 (that halves
; an idle guest's cost under TCG). Returns with interrupts on.
start_beat:
        cli
        mov word [0x70 * 4], rtc_irq
        mov word [0x70 * 4 + 2], 0
        mov al, 0x30            ; PIT channel 0: mode 0, a single count that is never reloaded
        out 0x43, al
        xor al, al
        out 0x40, al
        out 0x40, al
        mov bl, 0x8a            ; RTC register A (NMI off while we program): keep the divider,
        call rtc_read           ; rate 14 = 32768 Hz >> 13 = 4 Hz
        and al, 0xf0
        or al, 14
        call rtc_write
        mov bl, 0x8b            ; RTC register B: periodic interrupt enable
        call rtc_read
        or al, 0x40
        call rtc_write
        mov bl, 0x0c            ; drop a stale flag, NMI on again
        call rtc_read
        mov al, 0xfb            ; master PIC: only IRQ2, the cascade
        out 0x21, al
        mov al, 0xfe            ; slave PIC: only IRQ8, the RTC
        out 0xa1, al
        sti
        ret

; AL = RTC register BL.
rtc_read:
        mov al, bl
        out 0x70, al
        in al, 0x71
        ret

; RTC register BL = AL.
rtc_write:
        xchg al, bl
        out 0x70, al
        xchg al, bl
        out 0x71, al
        ret

; The RTC's interrupt: acknowledge it (read register C) and count a beat. DS may not be ours.
rtc_irq:
        push ax
        mov al, 0x0c
        out 0x70, al
        in al, 0x71
        inc word [cs:beats]
        mov al, 0x20            ; end of interrupt: slave, then master
        out 0xa0, al
        out 0x20, al
        pop ax
        iret

; Fill touch_mib MiB from TOUCH_BASE with non-zero data (each dword holds its page's address), so
; every page is really backed and a memory image cannot shrink it away as a zero page. Runs in
; "unreal" mode: ES gets a 4 GiB limit from a flat descriptor, then we drop back to real mode.
; Interrupts stay off throughout: a BIOS handler may switch modes and reload ES with a 64 KiB limit.
touch:
        cli
        in al, 0x92             ; fast A20 gate
        or al, 2
        and al, 0xfe            ; bit 0 would reset the machine
        out 0x92, al
        lgdt [gdtr]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        mov bx, 8
        mov es, bx
        and al, 0xfe
        mov cr0, eax
        xor bx, bx
        mov es, bx

        movzx edx, word [touch_mib]
        shl edx, 8              ; 4 KiB pages
        mov edi, TOUCH_BASE
.page:
        mov eax, edi
        mov ecx, 1024
        a32 rep stosd
        dec edx
        jnz .page
        ret

; Write the NUL-terminated string at DS:SI.
puts:
        lodsb
        test al, al
        jz .done
        call putc
        jmp puts
.done:
        ret

; Write AL once the transmitter holding register is empty.
putc:
        mov ah, al
        mov dx, COM1 + 5
.wait:
        in al, dx
        test al, 0x20
        jz .wait
        mov dl, COM1 & 0xff
        mov al, ah
        out dx, al
        ret

; Write EAX in decimal.
put_u32:
        mov di, numbuf_end
        mov ebx, 10
.digit:
        xor edx, edx
        div ebx
        add dl, '0'
        dec di
        mov [di], dl
        test eax, eax
        jnz .digit
        mov si, di
        jmp puts

msg_boot:       db "vmha-guest boot", 10, 0
msg_touched:    db "vmha-guest touched ", 0
msg_mib:        db " MiB", 10, 0
msg_tick:       db "vmha-guest tick ", 0

gdt:
        dq 0
        dw 0xffff, 0x0000       ; flat data: base 0, limit 4 GiB, read/write
        db 0x00, 0x92, 0xcf, 0x00
gdtr:
        dw gdtr - gdt - 1
        dd gdt

counter:        dd 0
beats:          dw 0
numbuf:         times 10 db 0
numbuf_end:     db 0

        times 504 - ($ - $$) db 0
        db "VMHT"
touch_mib:
        dw 0
        dw 0xaa55
