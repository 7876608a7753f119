// Tritium RTL library: arranges a window vector (element (tap, c) at index
// tap*C + c, A bits each) into the S-lane slices the PE programs address
// (docs/architecture.md, "PE program"). Pure wiring; lanes past the data read 0.
//   MODE 0, flat lanes:      slice j, lane l = element j*S + l of the window.
//   MODE 1, channel lanes:   slice t*N + j, lane l = (tap t, channel j*S + l).
//   MODE 2, depthwise (flat): slice c*N + j, lane l = (tap j*S + l, channel c).
`default_nettype none
module tri_slicer #(
    parameter int KT = 1,    // taps (kh*kw)
    parameter int C = 1,
    parameter int A = 8,
    parameter int S = 4,
    parameter int N = 1,     // items per row
    parameter int MODE = 0,
    parameter int NSLICE = 1
) (
    input  wire logic [KT*C*A-1:0]     win,
    output logic [NSLICE*S*A-1:0]      vec
);
    always_comb begin
        vec = '0;
        for (int s = 0; s < NSLICE; s++) begin
            for (int l = 0; l < S; l++) begin
                int e;
                e = -1;
                if (MODE == 0) begin
                    if (s * S + l < KT * C) e = s * S + l;
                end else if (MODE == 1) begin
                    if ((s % N) * S + l < C) e = (s / N) * C + (s % N) * S + l;
                end else begin
                    if ((s % N) * S + l < KT) e = ((s % N) * S + l) * C + s / N;
                end
                if (e >= 0) vec[(s * S + l) * A +: A] = win[e * A +: A];
            end
        end
    end
endmodule
`default_nettype wire
