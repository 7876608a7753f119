// Tritium RTL library: one two-input signed adder, its own module so that
// synthesis keeps it a carry chain (see tri_sum.sv).
`default_nettype none
module tri_add2 #(
    parameter int W = 8              // input width; the sum has W + 1 bits
) (
    input  wire logic signed [W-1:0] a,
    input  wire logic signed [W-1:0] b,
    output logic signed [W:0]        y
);
    assign y = (W + 1)'(a) + (W + 1)'(b);
endmodule
`default_nettype wire
