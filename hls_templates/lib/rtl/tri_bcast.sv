// Tritium RTL library: broadcast unit. Keeps the last two input vectors (slots);
// the newer one is offered to the NP PEs until each has taken it, and a PE reads
// the slot it took until it takes the next. A new vector goes into the older
// slot in the cycle the last PE takes the newer one: by then no PE reads the
// older slot any more, so a PE that needs a vector every cycle is never starved
// and no PE keeps a copy of its own.
`default_nettype none
module tri_bcast #(
    parameter int NP = 1,
    parameter int W = 8
) (
    input  wire logic          clk,
    input  wire logic          rst_n,
    input  wire logic          s_valid,
    output logic               s_ready,
    input  wire logic [W-1:0]  s_data,
    output logic [NP-1:0]      pe_valid,
    input  wire logic [NP-1:0] pe_take,
    output logic [2*W-1:0]     pe_slots,   // slot i at bits [i*W +: W]
    output logic               pe_slot     // the slot of the vector offered
);
    logic valid;
    logic [NP-1:0] taken;
    logic [W-1:0] slot [2];
    logic wr;                           // the slot the next vector goes to
    wire logic [NP-1:0] done = taken | pe_take;
    assign pe_valid = {NP{valid}} & ~taken;
    assign s_ready = !valid || &done;
    assign pe_slots = {slot[1], slot[0]};
    assign pe_slot = ~wr;
    always_ff @(posedge clk) begin
        if (!rst_n) begin
            valid <= 1'b0;
            taken <= '0;
            wr <= 1'b0;
        end else if (s_ready) begin
            valid <= s_valid;
            taken <= '0;
            if (s_valid) wr <= ~wr;
        end else begin
            taken <= done;
        end
    end
    always_ff @(posedge clk) if (s_ready && s_valid) slot[wr] <= s_data;
endmodule
`default_nettype wire
