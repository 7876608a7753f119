// Tritium HDL testbench: streams golden vectors through the design's AXI4-Stream
// ports and checks every output beat, with the stimulus in HDL (no per-cycle
// Python). Used by cocotb (which drives `clk` and awaits `done`) and by a C++
// clock loop (tb_main.cpp, built with plain Verilator) for dataset runs.
//
// It reads the golden vectors' own files (tritium.sim.vectors), the ones the
// C-simulation testbench reads: int32 little-endian, input codes channels-last,
// one expected value per output beat. A pixel's IN_C codes are packed into one
// input beat, channel c at bits [c*IN_BITS, (c+1)*IN_BITS); an expected value is
// compared with the beat's TDATA sign-extended (or truncated) to OUT_TW bits.
//
// Plusargs: +IN=<input.bin> +EXP=<expected.bin> +OUT=<hex written: the beats
// received> +SUMMARY=<text written> +N_IN=<beats> +N_OUT=<beats>
// +IN_FRAME=<input beats per frame> +OUT_FRAME=<output beats per frame>
// +IN_C=<channels per input beat> +IN_BITS=<bits per input code>
// +GAPS=0|1 +BP=0|1 +SEED=<n> +MAX_CYCLES=<watchdog>.
// The DUT is `TRITIUM_DUT (default tritium_top).
`default_nettype none
`ifndef TRITIUM_DUT
`define TRITIUM_DUT tritium_top
`endif
module tb_top #(
    parameter int IN_TW = 8,
    parameter int OUT_TW = 8
) (
    input  wire logic clk,
    output logic      done
);
    logic rst_n = 1'b0;
    initial done = 1'b0;
    logic [IN_TW-1:0] in_tdata;
    logic in_tvalid, in_tready, in_tlast;
    logic [OUT_TW-1:0] out_tdata, exp_data;
    logic out_tvalid, out_tready, out_tlast;

    `TRITIUM_DUT dut (
        .ap_clk(clk), .ap_rst_n(rst_n),
        .in_stream_TDATA(in_tdata), .in_stream_TVALID(in_tvalid), .in_stream_TREADY(in_tready),
        .in_stream_TLAST(in_tlast),
        .out_stream_TDATA(out_tdata), .out_stream_TVALID(out_tvalid), .out_stream_TREADY(out_tready),
        .out_stream_TLAST(out_tlast));

    int fin, fexp, fout, n_in, n_out, in_frame, out_frame, in_c, in_bits, gaps, bp, max_cycles;
    string in_file, exp_file, out_file, summary_file;
    int sent = 0, received = 0, mismatches = 0, tlast_errors = 0, first_bad = -1;
    logic [OUT_TW-1:0] first_got = '0, first_exp = '0;
    longint cycle = 0;
    logic [31:0] lfsr;
    logic have_beat = 1'b0, timeout = 1'b0;

    // One int32 of a vector file, little-endian; bit 32 is 0 once the file ends.
    function automatic logic [32:0] read_i32(int fd);
        logic [32:0] word = {1'b1, 32'b0};
        int ch;
        for (int k = 0; k < 4; k++) begin
            ch = $fgetc(fd);
            if (ch < 0) word[32] = 1'b0;
            word[8*k +: 8] = ch[7:0];
        end
        return word;
    endfunction

    // One input beat: a pixel's in_c codes, each cut to in_bits; bit IN_TW is 0 at the end.
    function automatic logic [IN_TW:0] read_beat(int fd);
        logic [IN_TW:0] beat = '0;
        logic [32:0] code;
        beat[IN_TW] = 1'b1;
        for (int c = 0; c < in_c; c++) begin
            code = read_i32(fd);
            if (!code[32]) beat[IN_TW] = 1'b0;
            for (int b = 0; b < in_bits; b++) beat[c * in_bits + b] = code[b];
        end
        return beat;
    endfunction

    initial begin
        if (!$value$plusargs("IN=%s", in_file)) $fatal(1, "tb_top: +IN=<file> missing");
        if (!$value$plusargs("EXP=%s", exp_file)) $fatal(1, "tb_top: +EXP=<file> missing");
        if (!$value$plusargs("OUT=%s", out_file)) out_file = "out.hex";
        if (!$value$plusargs("SUMMARY=%s", summary_file)) summary_file = "summary.txt";
        if (!$value$plusargs("N_IN=%d", n_in)) $fatal(1, "tb_top: +N_IN missing");
        if (!$value$plusargs("N_OUT=%d", n_out)) $fatal(1, "tb_top: +N_OUT missing");
        if (!$value$plusargs("IN_FRAME=%d", in_frame)) $fatal(1, "tb_top: +IN_FRAME missing");
        if (!$value$plusargs("OUT_FRAME=%d", out_frame)) $fatal(1, "tb_top: +OUT_FRAME missing");
        if (!$value$plusargs("IN_C=%d", in_c)) $fatal(1, "tb_top: +IN_C missing");
        if (!$value$plusargs("IN_BITS=%d", in_bits)) $fatal(1, "tb_top: +IN_BITS missing");
        if (in_c * in_bits > IN_TW) $fatal(1, "tb_top: IN_C * IN_BITS exceeds IN_TW");
        if (!$value$plusargs("GAPS=%d", gaps)) gaps = 0;
        if (!$value$plusargs("BP=%d", bp)) bp = 0;
        if (!$value$plusargs("SEED=%d", lfsr)) lfsr = 32'h1;
        if (!$value$plusargs("MAX_CYCLES=%d", max_cycles)) max_cycles = 100000000;
        if (lfsr == 0) lfsr = 32'h1;
        fin = $fopen(in_file, "rb");
        fexp = $fopen(exp_file, "rb");
        fout = $fopen(out_file, "w");
        if (fin == 0 || fexp == 0 || fout == 0) $fatal(1, "tb_top: cannot open the vector files");
        $fdisplay(fout, "# cycle of each frame's last output beat follows the beats as: t <cycle>");
    end

    // Random gaps and backpressure from one 32-bit LFSR (x^32+x^22+x^2+x+1).
    wire logic [31:0] lfsr_next = {lfsr[30:0], lfsr[31] ^ lfsr[21] ^ lfsr[1] ^ lfsr[0]};
    wire logic gap_now = gaps != 0 && lfsr[3:2] == 2'b00;     // 1 in 4 cycles
    wire logic stall_now = bp != 0 && lfsr[7:6] == 2'b00;     // 1 in 4 cycles

    assign in_tvalid = rst_n && have_beat && sent < n_in && !gap_now;
    assign in_tlast = (sent % in_frame) == in_frame - 1;
    assign out_tready = rst_n && !stall_now;

    logic [IN_TW:0] next_beat;
    logic [32:0] next_exp;
    always @(posedge clk) begin
        cycle <= cycle + 1;
        lfsr <= lfsr_next;
        rst_n <= cycle >= 4;
        if (!have_beat && sent < n_in) begin
            next_beat = read_beat(fin);
            in_tdata <= next_beat[IN_TW-1:0];
            have_beat <= next_beat[IN_TW];
        end
        if (in_tvalid && in_tready) begin
            sent <= sent + 1;
            if (sent + 1 < n_in) begin
                next_beat = read_beat(fin);
                in_tdata <= next_beat[IN_TW-1:0];
                have_beat <= next_beat[IN_TW];
            end else begin
                have_beat <= 1'b0;
            end
        end
        if (out_tvalid && out_tready) begin
            next_exp = read_i32(fexp);
            exp_data = OUT_TW'($signed(next_exp[31:0]));
            $fdisplay(fout, "%h", out_tdata);
            if (!next_exp[32] || out_tdata !== exp_data) begin
                if (mismatches == 0) begin
                    first_bad <= received;
                    first_got <= out_tdata;
                    first_exp <= exp_data;
                end
                mismatches <= mismatches + 1;
            end
            if (out_tlast != ((received % out_frame) == out_frame - 1)) tlast_errors <= tlast_errors + 1;
            if (out_tlast) $fdisplay(fout, "t %0d", cycle);
            received <= received + 1;
        end
        if (!done && (received >= n_out || cycle >= longint'(max_cycles))) begin
            done <= 1'b1;
            timeout <= received < n_out;
        end
    end

    // The summary is written once, when `done` rises.
    always @(posedge done) begin
        int fs;
        fs = $fopen(summary_file, "w");
        $fdisplay(fs, "received %0d", received);
        $fdisplay(fs, "sent %0d", sent);
        $fdisplay(fs, "mismatches %0d", mismatches);
        $fdisplay(fs, "tlast_errors %0d", tlast_errors);
        $fdisplay(fs, "first_bad %0d", first_bad);
        $fdisplay(fs, "first_got %h", first_got);
        $fdisplay(fs, "first_exp %h", first_exp);
        $fdisplay(fs, "cycles %0d", cycle);
        $fdisplay(fs, "timeout %0d", timeout);
        $fclose(fs);
        $fclose(fout);
    end
endmodule
`default_nettype wire
