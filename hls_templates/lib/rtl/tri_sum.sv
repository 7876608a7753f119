// Tritium RTL library: the PE's lane sum as a balanced tree of two-input
// adders, one module instance per adder.
//
// Keeping each adder its own module matters for synthesis: flattened, Yosys
// merges the whole sum into one $macc and builds it as compressor logic
// without carry chains (shared/research/hwtools.md §4: 465-492 LUTs for a
// 16-lane ternary sum against 279 as a tree of modules). Each level is one bit
// wider than the one below, so no adder is wider than its inputs need.
//
// The sum of N signed W-bit terms, OW = W + ceil(log2 N) bits, combinational.
// Leaves are padded to a power of two; a node whose right subtree holds only
// padding passes its left child through, so there are exactly N - 1 adders.
`default_nettype none
module tri_sum #(
    parameter int N = 2,
    parameter int W = 8,
    localparam int L = N > 1 ? $clog2(N) : 0,
    localparam int OW = W + L
) (
    input  wire logic [N*W-1:0]      x,
    output logic signed [OW-1:0]     y
);
    localparam int NP2 = 1 << L;
    // Heap order: node 1 is the root, node i has children 2i and 2i+1, leaves
    // are NP2 .. 2*NP2-1. Every node is kept sign-extended to OW bits; an
    // adder reads only the bits its level needs.
    /* verilator lint_off UNUSEDSIGNAL */
    wire logic signed [OW-1:0] node [1:2*NP2-1];
    /* verilator lint_on UNUSEDSIGNAL */
    for (genvar j = 0; j < NP2; j++) begin : g_leaf
        if (j < N) begin : g_term
            assign node[NP2 + j] = OW'($signed(x[j * W +: W]));
        end else begin : g_pad
            assign node[NP2 + j] = '0;
        end
    end
    for (genvar i = 1; i < NP2; i++) begin : g_node
        localparam int K = L - ($clog2(i + 1) - 1);          // levels above the leaves
        localparam int FIRST = (i << K) - NP2;               // first leaf below node i
        localparam int FIRST_R = ((2 * i + 1) << (K - 1)) - NP2;
        if (FIRST >= N) begin : g_zero
            assign node[i] = '0;
        end else if (FIRST_R >= N) begin : g_pass
            assign node[i] = node[2 * i];
        end else begin : g_add
            logic signed [W+K-1:0] s;
            tri_add2 #(.W(W + K - 1)) u_add (
                .a(node[2 * i][W+K-2:0]), .b(node[2 * i + 1][W+K-2:0]), .y(s));
            assign node[i] = OW'(s);
        end
    end
    assign y = node[1];
endmodule
`default_nettype wire
