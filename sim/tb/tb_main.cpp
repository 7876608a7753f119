// Tritium: plain Verilator clock loop for tb_top (no VPI, no cocotb), for
// dataset-scale RTL runs. Stops when tb_top raises `done` or calls $finish.
#include <memory>
#include "Vtb_top.h"
#include "verilated.h"

int main(int argc, char** argv) {
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    auto top = std::make_unique<Vtb_top>(ctx.get());
    top->clk = 0;
    top->eval();
    // One extra cycle after `done` lets the summary block run.
    int after = 2;
    while (!ctx->gotFinish() && after > 0) {
        top->clk = 1;
        top->eval();
        top->clk = 0;
        top->eval();
        if (top->done) after--;
    }
    top->final();
    return 0;
}
