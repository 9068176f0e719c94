const fs=require('fs');const p=JSON.parse(fs.readFileSync(process.argv[2]));const byId=new Map(p.nodes.map(n=>[n.id,n]));
let t=p.startTime;const busy=new Map();for(let i=0;i<p.samples.length;i++){t+=p.timeDeltas[i];const s=Math.floor((t-p.startTime)/1e6);const n=byId.get(p.samples[i]);if(n.callFrame.functionName!=='(idle)')busy.set(s,(busy.get(s)||0)+p.timeDeltas[i]);}
console.log('start', new Date(p.startTime/1000).toISOString());
console.log([...busy].map(([s,v])=>s+':'+Math.round(v/1e4)).join(' '));
