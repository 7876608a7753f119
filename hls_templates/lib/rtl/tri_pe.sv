// Tritium RTL library: one PE, executing its program from a ROM (docs/architecture.md).
//
// Program word (one per cycle), from LSB: S lane weights (WB bits each; ternary
// codes 01 = +x, 11 = -x, 00 = nothing), the slice of the input vector the lanes
// read (SW bits), `first` (the word starts a row: the accumulator restarts),
// `last` (the word ends a row: the row's sum is requantized), and the PE's local
// row index (RW bits) selecting that row's M, B and output channel.
//
// The PE takes a new input vector in the cycle it executes its last word, so
// pixels follow back to back. It copies nothing: the engine's broadcast unit
// keeps the last two vectors (vec_slots) and says which one is the new one
// (vec_slot); the PE reads that slot until it takes the next vector. Results go to output bank `bank` of the collector;
// a bank is reused NB pixels later, after the collector emitted it.
// A PE with NWORDS = 0 (all its rows empty) only signals each pixel done.
`default_nettype none
module tri_pe #(
    parameter int S = 4,              // lanes
    parameter int A = 8,              // input activation bits
    parameter bit IN_SIGNED = 1'b1,
    parameter bit TERNARY = 1'b1,     // 1: add/sub lanes; 0: multiplier lanes
    parameter int WB = 2,             // weight bits per lane
    parameter int NSLICE = 1,         // S-lane slices in the input vector
    parameter int SW = 1,             // slice index bits
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
    input  wire logic [2*NSLICE*S*A-1:0] vec_slots,
    input  wire logic                  vec_slot,
    output logic                       vec_take,
    input  wire logic [NB-1:0]         bank_busy,   // this PE already finished that bank
    output logic                       res_valid,
    output logic [CW-1:0]              res_ch,
    output logic [O-1:0]               res_data,
    output logic [BKW-1:0]             res_bank,
    output logic                       res_end     // this PE's last result of the pixel
);
    localparam int PW = S * WB + SW + 2 + RW;   // program word width
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
    logic [SW-1:0] slice;
    logic first, last;
    logic [RW-1:0] row;
    logic [S*A-1:0] xs;
    logic signed [ACC-1:0] sum, acc_next;
    logic last_word, bank_free;

    assign word = rom[NWORDS > 1 ? pc : '0];
    assign {row, last, first, slice, wts} = word;
    assign xs = vec_slots[(int'(cslot) * NSLICE + int'(slice)) * (S * A) +: S * A];
    assign last_word = NWORDS == 0 || (busy && pc == PCW'(NWORDS - 1));
    assign bank_free = !bank_busy[nbank] && !(r_end && r_bank == nbank);
    assign vec_take = vec_valid && bank_free && (!busy || last_word);

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
