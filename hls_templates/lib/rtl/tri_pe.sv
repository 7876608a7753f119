// Tritium RTL library: one PE, executing its program from a ROM (docs/architecture.md).
//
// Program word (one per cycle), from LSB: S lane weights (WB bits each; ternary
// codes 01 = +x, 11 = -x, 00 = nothing), the input-buffer bank the word's lanes
// read (KB bits), the buffer row of the *next* word (LB bits; the last word
// holds the first word's row), `first` (the word starts a row: the accumulator
// restarts), `last` (the word ends a row: the row's sum is requantized), and the
// PE's local row index (RW bits) selecting that row's M, B and output channel.
//
// Input buffer: the PE keeps its own copy of the last two input vectors (slots),
// written by the engine's feeder (tri_feeder.sv) one row of each of its K banks
// per cycle. Both memories have a synchronous read, so they map to block RAM
// when deep and to LUT RAM with an output register when shallow: the ROM word
// of the next cycle and every bank's row of the next word are read one cycle
// ahead (the ROM word itself says which row the next word reads), and the
// lanes take the current word's bank.
//
// The PE takes a new input vector in the cycle it executes its last word, so
// pixels follow back to back. Results go to output bank `bank` of the
// collector; a bank is reused NB pixels later, after the collector emitted it.
// A PE with NWORDS = 0 (all its rows empty) only signals each pixel done.
`default_nettype none
module tri_pe #(
    parameter int S = 4,              // lanes
    parameter int A = 8,              // input activation bits
    parameter bit IN_SIGNED = 1'b1,
    parameter bit TERNARY = 1'b1,     // 1: add/sub lanes; 0: multiplier lanes
    parameter int WB = 2,             // weight bits per lane
    parameter int K = 1,              // input buffer banks
    parameter int KB = 1,             // bank index bits
    parameter int LB = 1,             // buffer row index bits (a slot has 2**LB rows per bank)
    parameter int FIRST_ROW = 0,      // buffer row of the first word
    parameter int NWORDS = 1,         // program length (words per pixel)
    parameter int NROWS = 1,          // rows (output channels) of this PE
    parameter int RW = 1,             // local row index bits
    parameter int ACC = 16,           // accumulator bits
    parameter int CW = 1,             // channel index bits
    parameter int NB = 4,             // collector banks
    parameter int BKW = 2,            // bank index bits
    parameter int O = 8,              // output bits
    parameter int MW = 16,            // requant M bits
    parameter int BW = 32,            // requant B bits
    parameter int SH = 0,
    parameter longint LO = 0,
    parameter longint HI = 255,
    parameter logic [NROWS*MW-1:0] ROW_M = '0,
    parameter logic [NROWS*BW-1:0] ROW_B = '0,
    parameter logic [NROWS*CW-1:0] ROW_CH = '0,
    parameter string ROM_FILE = ""
) (
    input  wire logic                  clk,
    input  wire logic                  rst_n,
    input  wire logic                  vec_valid,   // a vector this PE has not taken yet
    input  wire logic                  vec_slot,    // the slot it is in
    output logic                       vec_take,
    /* verilator lint_off UNUSEDSIGNAL */     // a PE without words has no buffer
    input  wire logic                  buf_we,      // the feeder writes row buf_row of slot
    input  wire logic                  buf_slot,    // buf_slot, bank b from buf_data[b*S*A +: S*A]
    input  wire logic [LB-1:0]         buf_row,
    input  wire logic [K*S*A-1:0]      buf_data,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire logic [NB-1:0]         bank_busy,   // this PE already finished that bank
    output logic                       res_valid,
    output logic [CW-1:0]              res_ch,
    output logic [O-1:0]               res_data,
    output logic [BKW-1:0]             res_bank,
    output logic                       res_end     // this PE's last result of the pixel
);
    localparam int PW = S * WB + KB + LB + 2 + RW;   // program word width
    localparam int PCW = NWORDS > 1 ? $clog2(NWORDS) : 1;
    localparam int DEPTH = NWORDS > 0 ? NWORDS : 1;

    logic [BKW-1:0] nbank, cbank;
    logic busy;
    logic [PCW-1:0] pc;
    logic cslot;                       // slot of the vector being worked on
    // requant stage
    logic r_valid, r_end;
    logic [BKW-1:0] r_bank;
    logic [RW-1:0] r_row;
    logic signed [ACC-1:0] r_acc, acc;

    logic [PW-1:0] rom [DEPTH];
    initial begin
        if (NWORDS > 0) $readmemh(ROM_FILE, rom);
    end

    logic [PW-1:0] word;
    logic [S*WB-1:0] wts;
    /* verilator lint_off UNUSEDSIGNAL */   // one bank: no bank select
    logic [KB-1:0] kbank;
    /* verilator lint_on UNUSEDSIGNAL */
    logic [LB-1:0] next_row;
    logic first, last;
    logic [RW-1:0] row;
    logic [S*A-1:0] xs;
    logic signed [ACC-1:0] sum, acc_next;
    logic last_word, bank_free;
    logic [PCW-1:0] pc_next;

    assign {row, last, first, next_row, kbank, wts} = word;
    assign last_word = NWORDS == 0 || (busy && pc == PCW'(NWORDS - 1));
    assign bank_free = !bank_busy[nbank] && !(r_end && r_bank == nbank);
    assign vec_take = vec_valid && bank_free && (!busy || last_word);
    assign pc_next = vec_take ? '0 : (busy && !last_word ? pc + 1'b1 : pc);
    always_ff @(posedge clk) word <= rom[NWORDS > 1 ? pc_next : '0];

    // The input buffer: K banks of two slots of 2**LB rows, each read one cycle
    // ahead at the next word's row of the slot the next word works on.
    logic [K*S*A-1:0] bank_q;
    if (NWORDS > 0) begin : g_buf
        wire logic rslot = vec_take ? vec_slot : cslot;
        wire logic [LB-1:0] rrow = vec_take ? LB'(FIRST_ROW) : next_row;
        for (genvar b = 0; b < K; b++) begin : g_bank
            logic [S*A-1:0] mem [2 << LB];
            always_ff @(posedge clk) begin
                if (buf_we) mem[{buf_slot, buf_row}] <= buf_data[b * S * A +: S * A];
                bank_q[b * S * A +: S * A] <= mem[{rslot, rrow}];
            end
        end
    end else begin : g_nobuf
        assign bank_q = '0;
    end
    assign xs = bank_q[(K > 1 ? int'(kbank) : 0) * S * A +: S * A];

    // The lanes: a ternary lane adds, subtracts or skips x; an int lane
    // multiplies. Their terms are summed by a tree of adders (tri_sum.sv).
    localparam int TW = TERNARY ? A + 2 : A + 1 + WB;       // one lane's term
    localparam int SUMW = TW + (S > 1 ? $clog2(S) : 0);
    logic [S*TW-1:0] terms;
    /* verilator lint_off UNUSEDSIGNAL */   // bits above ACC when the tree is wider
    logic signed [SUMW-1:0] lane_sum;
    /* verilator lint_on UNUSEDSIGNAL */
    always_comb begin
        for (int l = 0; l < S; l++) begin
            logic signed [A:0] x;
            logic [WB-1:0] w;
            x = IN_SIGNED ? {xs[l * A + A - 1], xs[l * A +: A]} : {1'b0, xs[l * A +: A]};
            w = wts[l * WB +: WB];
            if (TERNARY) begin
                if (w == WB'(2'b01)) terms[l * TW +: TW] = TW'(x);
                else if (w == WB'(2'b11)) terms[l * TW +: TW] = -TW'(x);
                else terms[l * TW +: TW] = '0;
            end else begin
                terms[l * TW +: TW] = TW'(x) * TW'($signed(w));
            end
        end
    end
    tri_sum #(.N(S), .W(TW)) u_sum (.x(terms), .y(lane_sum));
    assign sum = ACC'(lane_sum);
    assign acc_next = (first ? '0 : acc) + sum;

    always_ff @(posedge clk) begin
        if (!rst_n) begin
            busy <= 1'b0;
            pc <= '0;
            nbank <= '0;
            cbank <= '0;
            r_valid <= 1'b0;
            r_end <= 1'b0;
        end else begin
            r_valid <= NWORDS > 0 && busy && last;
            r_end <= NWORDS > 0 ? busy && last_word : vec_take;
            r_bank <= NWORDS > 0 ? cbank : nbank;
            if (vec_take) begin
                busy <= NWORDS > 0;
                pc <= '0;
                cbank <= nbank;
                nbank <= nbank + 1'b1;
            end else if (busy) begin
                if (last_word) busy <= 1'b0;
                else pc <= pc + 1'b1;
            end
        end
    end

    always_ff @(posedge clk) begin
        if (vec_take) cslot <= vec_slot;
        if (busy) acc <= acc_next;
        r_acc <= acc_next;
        r_row <= row;
    end

    logic signed [MW-1:0] m;
    logic signed [BW-1:0] b;
    assign m = ROW_M[r_row * MW +: MW];
    assign b = ROW_B[r_row * BW +: BW];
    assign res_ch = ROW_CH[r_row * CW +: CW];
    assign res_valid = r_valid;
    assign res_end = r_end;
    assign res_bank = r_bank;

    tri_requant #(.IW(ACC), .MW(MW), .BW(BW), .SH(SH), .O(O), .LO(LO), .HI(HI)) u_rq (
        .x(r_acc), .m(m), .b(b), .y(res_data));
endmodule
`default_nettype wire
