// Tritium RTL library: broadcast register. Holds one input vector until each of
// the NP PEs has taken its own copy; reloads in the cycle the last one takes it,
// so a PE that needs a vector every cycle is never starved.
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
    output logic [W-1:0]       pe_data
);
    logic valid;
    logic [NP-1:0] taken;
    wire logic [NP-1:0] done = taken | pe_take;
    assign pe_valid = {NP{valid}} & ~taken;
    assign s_ready = !valid || &done;
    always_ff @(posedge clk) begin
        if (!rst_n) begin
            valid <= 1'b0;
            taken <= '0;
        end else if (s_ready) begin
            valid <= s_valid;
            taken <= '0;
        end else begin
            taken <= done;
        end
    end
    always_ff @(posedge clk) if (s_ready && s_valid) pe_data <= s_data;
endmodule
`default_nettype wire
